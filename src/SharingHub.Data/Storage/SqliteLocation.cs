namespace SharingHub.Data.Storage;

/// <summary>
/// Where a SQLite database's files go, made ready as the hub starts: a setting that names a folder, or a folder the hub's
/// user cannot make or write (a read-only disk, a full one), is refused in one line that says which, not a stack trace.
/// </summary>
internal static class SqliteLocation
{
    /// <summary>The database file's full path, its folder made; <see cref="Core.StartRefusedException"/> when it cannot be.</summary>
    public static string Prepare(string dataSource)
    {
        var path = Path.GetFullPath(dataSource);
        if (Directory.Exists(path))
        {
            throw new Core.StartRefusedException($"SharingHub:Database:ConnectionString names the folder {path}; name the SQLite database's file (for example Data Source=data/sharinghub.db)");
        }
        Guarded(path, () => Directory.CreateDirectory(Path.GetDirectoryName(path)!));
        return path;
    }

    /// <summary>Does <paramref name="work"/> on the database's files, a failure of the file system refused as the operator's to mend.</summary>
    public static void Guarded(string path, Action work)
    {
        try
        {
            work();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.StartRefusedException($"the SQLite database {path} cannot be created or opened: {e.Message}");
        }
    }
}
