// The sidecar gateway: the same front end as src/Gateway, serving from the AWS provider set by default
// (backend=aws), or from the embedded one when the backend key says so.
using ZkGateway.Gateway.Aws;
using ZkGateway.Gateway.Hosting;

return await GatewayHost.RunAsync(args, [new AwsBackendProvider(), EmbeddedBackendProvider.Instance]);
