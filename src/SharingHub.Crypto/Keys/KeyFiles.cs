using System.Security.Cryptography;

namespace SharingHub.Crypto.Keys;

/// <summary>How the hub writes a key file: whole or not at all, readable by its owner only, safe with several writers.</summary>
public static class KeyFiles
{
    /// <summary>A claim older than this was left by a writer that died before moving its file into place.</summary>
    private static readonly TimeSpan StaleClaim = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Writes <paramref name="write"/>'s bytes to a temporary file of this writer's own (so two processes writing at once never
    /// write into one file), flushed to disk, then moved into place. False when <paramref name="overwrite"/> is false and the
    /// file was already there (another writer made it first); the temporary file never stays behind.
    /// Without <paramref name="overwrite"/> exactly one of several writers at once wins: on Linux .NET's non-overwriting move
    /// is not atomic (measured: 8 threads moving to one new name, more than one succeeded in 2 rounds of 300), so the writers
    /// first take a claim created exclusively (O_CREAT|O_EXCL) beside the file; the others wait for the winner's file.
    /// </summary>
    public static bool Write(string path, Action<Stream> write, bool overwrite)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (overwrite)
        {
            WriteInPlace(path, write);
            return true;
        }
        var claim = path + ".claim";
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (File.Exists(path))
            {
                return false;
            }
            FileStream? held = null;
            try
            {
                held = new FileStream(claim, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.DeleteOnClose });
            }
            catch (IOException) when (waited.Elapsed < 2 * StaleClaim)
            {
                // Another writer holds the claim: wait for its file, or for a claim left by one that died to grow stale.
                if (File.Exists(claim) && DateTime.UtcNow - File.GetLastWriteTimeUtc(claim) > StaleClaim)
                {
                    File.Delete(claim);
                }
                Thread.Sleep(10);
                continue;
            }
            using (held)
            {
                // Made between the check above and the claim: the first file stands.
                if (File.Exists(path))
                {
                    return false;
                }
                WriteInPlace(path, write);
                return true;
            }
        }
    }

    private static void WriteInPlace(string path, Action<Stream> write)
    {
        var temp = $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
