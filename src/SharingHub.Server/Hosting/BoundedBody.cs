namespace SharingHub.Server.Hosting;

/// <summary>Reads a body no larger than a limit, whatever its declared length says: callers' bodies and partners' answers alike.</summary>
internal static class BoundedBody
{
    /// <summary>The most a caller's write may send (a FHIR resource, an OData entity, a workflow body): 1 MiB.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The bytes, or null when there are more than <paramref name="limit"/> (reading stops there).</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, long? declaredLength, int limit, CancellationToken ct)
    {
        if (declaredLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
