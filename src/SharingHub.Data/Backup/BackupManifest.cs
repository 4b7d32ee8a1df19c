using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharingHub.Data.Backup;

/// <summary>
/// What a backup folder holds, written last (a folder without it is an unfinished backup): the engine, the release and
/// schema that made it, the database file's SHA-256, and how many rows each table held in the backup's own snapshot, so a
/// restore can show that every row came back. It names no person and holds no key.
/// </summary>
public sealed record BackupManifest
{
    public const int CurrentFormat = 1;
    public const string FileName = "manifest.json";

    public int Format { get; init; } = CurrentFormat;
    public required string Engine { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required string HubVersion { get; init; }

    /// <summary>The last EF migration applied to the database backed up: a release that does not know it must not restore it.</summary>
    public required string LastMigration { get; init; }

    public required string DatabaseFile { get; init; }
    public required long DatabaseBytes { get; init; }
    public required string DatabaseSha256 { get; init; }

    /// <summary>Rows per table in the snapshot the backup holds.</summary>
    public required SortedDictionary<string, long> Rows { get; init; }

    /// <summary>The largest signed audit checkpoint in the snapshot (0 when none): the restored log must verify up to it.</summary>
    public long AuditCheckpointSize { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void Write(string folder)
    {
        var path = Path.Combine(folder, FileName);
        var partial = path + ".partial";
        File.WriteAllText(partial, JsonSerializer.Serialize(this, Json));
        BackupFiles.Flush(partial);
        File.Move(partial, path, overwrite: true);
        BackupFiles.FlushFolder(folder);
    }

    /// <summary>Reads a backup's manifest; an unreadable or unfinished backup is refused with what is wrong with it.</summary>
    public static BackupManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new BackupException($"{folder} holds no {FileName}: it is not a backup, or its backup did not finish");
        }
        BackupManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<BackupManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new BackupException($"{path} is not a backup manifest ({e.Message})");
        }
        if (manifest is null || manifest.Format != CurrentFormat)
        {
            throw new BackupException($"{path} is backup format {manifest?.Format}; this release reads format {CurrentFormat}");
        }
        if (manifest.DatabaseFile.Contains('/', StringComparison.Ordinal) || manifest.DatabaseFile.Contains('\\', StringComparison.Ordinal)
            || manifest.DatabaseFile.StartsWith('.'))
        {
            throw new BackupException($"{path} names a database file outside its folder");
        }
        return manifest;
    }
}

/// <summary>A backup or restore that cannot go on, with what an operator needs to know to put it right.</summary>
public sealed class BackupException(string message) : Exception(message);

/// <summary>File handling every backup shares: hashes, flushes to disk, owner-only permissions.</summary>
public static class BackupFiles
{
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>A file's bytes on the disk, not only in the page cache, before the backup names it finished.</summary>
    public static void Flush(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>A rename made durable: the folder's own entry is flushed (POSIX; Windows has no folder handle to flush).</summary>
    public static void FlushFolder(string folder)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        var fd = Posix.Open(folder, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }
        try
        {
            _ = Posix.Fsync(fd);
        }
        finally
        {
            _ = Posix.Close(fd);
        }
    }

    /// <summary>A new folder readable by its owner alone (a backup holds sealed records and the whole audit log).</summary>
    public static void CreateOwnerOnlyFolder(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
            return;
        }
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static void OwnerOnly(string file)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}

internal static class Posix
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    public static extern int Open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    public static extern int Fsync(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    public static extern int Close(int fd);
}
