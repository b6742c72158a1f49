return await ZkGateway.Gateway.Hosting.GatewayHost.RunAsync(args);
