namespace SharingHub.Data.Storage;

/// <summary>
/// Turns, in order of asking, at SQLite's one write lock for the hub's own steady writers: the audit writer and background
/// work (overdue escalation, notification delivery). SQLite keeps no queue of writers: one that finds the lock held sleeps in
/// its busy handler (1, 2, 5, 10, and then up to 100 ms between tries) and can keep missing the short gaps between another
/// writer's transactions. A hub restarted on a backlog of overdue items escalated them for seconds, and the audit entry of
/// every request made meanwhile waited behind that work (measured at 1M events: a write-lock probe waited 40-160 ms at a time
/// for 4.5 s; the benchmark's secured single read waited 4-10 ms a request on average for its entry). Waiting here, each of
/// these writers is woken as the one before it finishes, and background work takes one item a turn, so an audit batch waits
/// for at most one item's transaction. Writes made by requests (EF's) still meet the lock through SQLite's busy handler.
/// On PostgreSQL (row locks, no single write lock) a turn is granted at once.
/// </summary>
public sealed class SqliteWriteTurns(IHubDbContextFactory contexts) : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _waiting;

    /// <summary>Writers waiting for a turn now (not the one holding it).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for this writer's turn; dispose the result when its transaction has committed or rolled back.</summary>
    public async ValueTask<Turn> TakeAsync(CancellationToken cancellationToken)
    {
        if (contexts.Engine != DatabaseEngine.Sqlite)
        {
            return default;
        }
        Interlocked.Increment(ref _waiting);
        try
        {
            // Asynchronous waiters are let in first come, first served.
            await _turn.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        return new Turn(_turn);
    }

    public void Dispose() => _turn.Dispose();

    /// <summary>A turn held; disposing it lets the next writer in.</summary>
    public readonly struct Turn(SemaphoreSlim? held) : IDisposable
    {
        public void Dispose() => held?.Release();
    }
}
