using System.Security.Cryptography;

namespace SharingHub.Crypto.Keys;

/// <summary>How the hub writes a key file: whole or not at all, readable by its owner only, safe with several writers.</summary>
public static class KeyFiles
{
    /// <summary>
    /// Writes <paramref name="write"/>'s bytes to a temporary file of this writer's own (so two processes writing at once never
    /// write into one file), flushed to disk, then moved into place. False when <paramref name="overwrite"/> is false and the
    /// file was already there (another writer made it first); the temporary file never stays behind.
    /// </summary>
    public static bool Write(string path, Action<Stream> write, bool overwrite)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
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
            File.Move(temp, path, overwrite);
            return true;
        }
        catch (IOException) when (!overwrite && File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
