using Amazon.S3;
using Amazon.S3.Model;

namespace ZkGateway.Backend.Aws;

/// <summary>
/// Payloads too large for the DynamoDB item or the SQS message that points at them (a claim check):
/// whole S3 objects in the deployment's bucket, written once, read whole, deleted with their pointer.
/// </summary>
internal sealed class S3Payloads(IAmazonS3 s3, AwsSettings settings)
{
    public async Task PutAsync(string key, byte[] bytes, CancellationToken cancellationToken)
    {
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = settings.BucketName,
            Key = key,
            InputStream = new MemoryStream(bytes, writable: false),
            UseChunkEncoding = !settings.S3DisableChunkEncoding,
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<byte[]> GetAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await s3.GetObjectAsync(settings.BucketName, key, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer.ToArray();
    }

    public async Task TryDeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            await s3.DeleteObjectAsync(settings.BucketName, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception)
        {
            // Best effort: an orphaned payload costs storage, not correctness (nothing points at it).
        }
    }
}
