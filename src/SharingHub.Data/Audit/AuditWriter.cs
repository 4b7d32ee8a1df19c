using System.Data;
using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SharingHub.Core.Audit;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Audit;

/// <summary>
/// The single writer of the audit log. Requests queue their entries; the writer commits them in
/// batches (one transaction, one flush, many entries), holding the database's write lock while it
/// reads the tail and chains the new entries, so several hub processes never fork the log or leave a
/// gap. A caller's append completes only after its batch has committed.
/// </summary>
public sealed class AuditWriter : QuietlyStoppedService, IAuditLog
{
    private const long AdvisoryLockKey = 0x5348_4155_4449_54; // "SHAUDIT"
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait });
    private readonly IHubDbContextFactory _contexts;
    private readonly AuditCheckpointer _checkpointer;
    private readonly AuditOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<AuditWriter> _logger;
    private readonly StorageHealth? _storage;

    public AuditWriter(IHubDbContextFactory contexts, AuditCheckpointer checkpointer, IOptions<AuditOptions> options, TimeProvider clock, ILogger<AuditWriter> logger,
        IMeterFactory? meters = null, StorageHealth? storage = null, SqliteWriteTurns? turns = null)
    {
        _storage = storage;
        _turns = turns;
        _contexts = contexts;
        _checkpointer = checkpointer;
        _options = options.Value;
        _clock = clock;
        _logger = logger;
        SignEveryBatch = _options.CheckpointEveryBatch;
        // A meter of this writer's own (from the host's meter factory, disposed with it), so a gauge never outlives its writer.
        meters?.Create(Core.Telemetry.HubDiagnostics.Name).CreateObservableGauge("sharinghub.audit.queue.depth", () => _queue.Reader.Count,
            description: "Audit entries waiting to be committed");
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<Pending> _owed = new();

    /// <summary>The hub's turns at SQLite's write lock, shared with background work (none in a writer made by a test or a tool alone).</summary>
    private readonly SqliteWriteTurns? _turns;

    /// <summary>Entries owed for changes that are already stored (their first append failed), waiting to be retried.</summary>
    public int Owed => _owed.Count;

    /// <summary>
    /// Records an entry for a change that is already committed although its append failed (the store filled up between the
    /// two): it is retried with every batch, and every second while idle, until it commits; never dropped while the process runs.
    /// </summary>
    public void Owe(AuditRecord record) => _owed.Enqueue(new Pending(Shape(record), new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously), Owed: true));

    public async Task<long> AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        // The entry's columns and the bytes of it that do not depend on its place in the log are made here, on the request's
        // own thread, not on the single writer's: the writer's loop is what many concurrent requests queue behind.
        var pending = new Pending(Shape(record), new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        // Not cancellable once queued: a disclosure must not go ahead on an entry that may or may not commit.
        long sequence;
        try
        {
            sequence = await pending.Done.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        catch (TimeoutException e)
        {
            throw new AuditUnavailableException("the audit log did not commit the entry in time", e);
        }
        pending.Batch?.Trace(pending.Queued);
        return sequence;
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(_options.MaxBatch);
        var lastCheckpointCheck = _clock.GetUtcNow();
        var sinceCheckpointCheck = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(_owed.IsEmpty ? TimeSpan.FromSeconds(Math.Max(1, _options.CheckpointSeconds)) : TimeSpan.FromSeconds(1));
                await _queue.Reader.WaitToReadAsync(tick.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Idle: fall through to the time-based checkpoint.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            // Owed entries go first: their changes happened before anything now queued.
            while (batch.Count < _options.MaxBatch && _owed.TryDequeue(out var owed))
            {
                batch.Add(owed);
            }
            while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }
            var committed = batch.Count;
            if (committed > 0)
            {
                await CommitAsync(batch);
                sinceCheckpointCheck += committed;
                batch.Clear();
            }
            // Each batch stores its own subtrees (and, by default, its own signed checkpoint), so the checkpointer has
            // work only for the time-based checkpoint or, without a checkpoint per batch, every CheckpointEvery entries.
            // Asking it after every batch cost each lone append a second round trip and a second durable commit.
            var now = _clock.GetUtcNow();
            var countDue = !SignEveryBatch && sinceCheckpointCheck >= _options.CheckpointEvery;
            if (committed > 0 && !countDue && now - lastCheckpointCheck < TimeSpan.FromSeconds(1))
            {
                continue;
            }
            lastCheckpointCheck = now;
            sinceCheckpointCheck = 0;
            try
            {
                await _checkpointer.MaybeCheckpointAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The writer must outlive a failed checkpoint: the next tick tries again, and appends go on.
                _logger.LogError("Audit checkpoint failed: {Error}", e.GetType().Name);
            }
        }
        await DrainOnStopAsync();
    }

    private async Task CommitAsync(List<Pending> batch)
    {
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("audit.commit");
        span?.SetTag("sharinghub.audit.batch", batch.Count);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var times = new BatchTimes(started);
        batch.ForEach(p => p.Batch = times);
        try
        {
            var sequences = await WriteBatchAsync(batch.Select(p => p.Entry).ToList(), times);
            _storage?.Committed();
            Core.Telemetry.HubDiagnostics.AuditCommit.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            times.Record(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(sequences[i]);
            }
        }
        catch (Exception e)
        {
            // Any failure fails the batch's requests closed; the writer itself keeps running for the next batch.
            _storage?.Observe(e);
            _logger.LogError("Audit batch of {Count} entries could not be committed: {Error}; the requests fail closed", batch.Count, e.GetType().Name);
            foreach (var pending in batch)
            {
                if (pending.Owed)
                {
                    _owed.Enqueue(pending);
                    continue;
                }
                pending.Done.TrySetException(new AuditUnavailableException("the audit log could not commit the entry", e));
            }
        }
    }

    internal Task<IReadOnlyList<long>> WriteBatchAsync(IReadOnlyList<AuditRecord> records) => WriteBatchAsync([.. records.Select(Shape)]);

    private async Task<IReadOnlyList<long>> WriteBatchAsync(IReadOnlyList<Shaped> records, BatchTimes? times = null)
    {
        // The writer keeps one connection of its own open across batches and talks to it without a DbContext: opening a
        // connection and a context per batch, and EF's change tracking and per-row commands, cost several times the
        // durable commit itself (profiled: issue 27). The statements are built from the EF model, so every value is
        // stored exactly as EF would store it.
        // One batch at a time on the writer's connection, whoever calls (a second start of the writer, a bulk load).
        await _batchGate.WaitAsync();
        try
        {
            return await WriteBatchOnConnectionAsync(records, times ?? new BatchTimes(System.Diagnostics.Stopwatch.GetTimestamp()));
        }
        finally
        {
            _batchGate.Release();
        }
    }

    private readonly SemaphoreSlim _batchGate = new(1, 1);

    private async Task<IReadOnlyList<long>> WriteBatchOnConnectionAsync(IReadOnlyList<Shaped> records, BatchTimes times)
    {
        times.Mark(BatchPhase.Gate);
        var statements = await StatementsAsync();
        var connection = statements.Connection;
        try
        {
            // SQLite: an immediate transaction (the write lock at once). PostgreSQL: the transaction is begun and committed by
            // statements sent with the batch's own (BEGIN with the tail's read, COMMIT after the inserts), so a batch is two
            // round trips, not three; a batch that fails before its COMMIT leaves the connection in a failed transaction, and
            // the connection is dropped (below), which rolls it back.
            // On SQLite the batch waits its turn among the hub's steady writers first (SqliteWriteTurns), then for the write lock itself.
            using var turn = _turns is null ? default : await _turns.TakeAsync(CancellationToken.None);
            await using var transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : null;
            if (transaction is not null)
            {
                times.Mark(BatchPhase.Lock);
            }
            var (tailSequence, tailHash) = await TailAsync(connection, transaction);
            times.Mark(BatchPhase.Tail);
            var sequence = tailSequence;
            var previous = tailHash;
            var sequences = new List<long>(records.Count);
            var added = new List<AuditEntry>(records.Count);
            foreach (var record in records)
            {
                var entry = record.Place(++sequence, previous);
                previous = entry.EntryHash;
                added.Add(entry);
                sequences.Add(entry.Sequence);
            }
            // The tree over everything committed before (this or another hub process), then this batch: the complete
            // subtrees it closes (which proofs read) commit with its entries, and so, by default, does a checkpoint over
            // it, so an acknowledged entry is always under a signature.
            var frontier = await FrontierAsync(connection, transaction, tailSequence);
            var completed = new List<AuditNode>();
            added.ForEach(e => frontier.Append(e.EntryHash, (level, index, hash) => completed.Add(new AuditNode { Level = level, NodeIndex = index, Hash = hash })));
            times.Mark(BatchPhase.Chain);
            AuditCheckpoint[] checkpoint = [];
            if (SignEveryBatch)
            {
                checkpoint = [_checkpointer.Sign(frontier.Size, frontier.Root())];
                times.Mark(BatchPhase.Sign);
            }
            if (transaction is null)
            {
                // PostgreSQL: the entries, the checkpoint, the subtrees and the commit in one round trip (each a round trip before).
                await using var batch = connection.CreateBatch();
                statements.Entries.AddTo(batch, added);
                statements.Checkpoints.AddTo(batch, checkpoint);
                statements.Nodes.AddTo(batch, completed);
                batch.BatchCommands.Add(Step(batch, "COMMIT"));
                await batch.ExecuteNonQueryAsync();
            }
            else
            {
                // SQLite runs in process: a prepared single-row statement per row costs microseconds.
                await statements.Entries.InsertAsync(added, transaction, CancellationToken.None);
                await statements.Checkpoints.InsertAsync(checkpoint, transaction, CancellationToken.None);
                await statements.Nodes.InsertAsync(completed, transaction, CancellationToken.None);
                times.Mark(BatchPhase.Insert);
                await transaction.CommitAsync();
            }
            times.Mark(BatchPhase.Flush);
            return sequences;
        }
        catch
        {
            // The in-memory tree may now be ahead of what committed: rebuild it from the log next time; and the connection
            // may be what failed (a restarted server): open a new one next time.
            _frontier = null;
            await DropStatementsAsync();
            throw;
        }
    }

    /// <summary>The entry's columns from the request's record, and the canonical bytes of it that do not depend on its place in the log.</summary>
    private static Shaped Shape(AuditRecord record)
    {
        var entry = new AuditEntry
        {
            RecordedAt = TimeProviderExtensions.TruncateForStorage(record.At),
            RequestId = Clip(record.RequestId, 64),
            Agency = Clip(record.Agency, 32),
            Actor = Clip(record.Actor, 256),
            Purpose = record.Purpose is null ? null : Clip(record.Purpose, 64),
            EnquiryId = record.EnquiryId,
            Action = Clip(record.Action, 64),
            Outcome = Clip(record.Outcome, 32),
            Decision = record.Decision,
            IsOverride = record.IsOverride,
            Subjects = Joined(record.Subjects.Select(s => s.ToString("D"))),
            Owners = Joined(record.Owners),
            Organisation = record.Organisation is null ? "" : Clip(record.Organisation, 64),
            Disclosed = Math.Max(0, record.Disclosed),
            Roles = record.Roles.Count == 0 ? "" : Joined(record.Roles.Order(StringComparer.Ordinal)),
            Body = record.Body,
        };
        return new Shaped(entry, AuditHashing.Unplaced(entry));
    }

    /// <summary>An entry waiting for its place in the log, with the canonical bytes of it that do not depend on that place.</summary>
    private sealed record Shaped(AuditEntry Template, byte[] Unplaced)
    {
        /// <summary>
        /// The entry at its place, its canonical bytes exactly those <see cref="AuditHashing.Canonical"/> writes. A batch that
        /// failed and is tried again (an owed entry) places it afresh.
        /// </summary>
        public AuditEntry Place(long sequence, byte[] previous)
        {
            Template.Sequence = sequence;
            Template.PreviousHash = previous;
            // The bytes the hash covers are stored with the entry: verification hashes them as stored, and checks the columns against them.
            Template.Canonical = AuditHashing.Place(sequence, Unplaced, previous);
            Template.EntryHash = MerkleTree.LeafHash(Template.Canonical);
            return Template;
        }
    }

    /// <summary>Whether each batch commits with its own signed checkpoint (<see cref="AuditOptions.CheckpointEveryBatch"/>; the benchmark compares both).</summary>
    public bool SignEveryBatch { get; set; }

    private MerkleFrontier? _frontier;
    private Statements? _statements;

    /// <summary>The tree's right edge over the first <paramref name="size"/> entries, brought up to date from the log inside the batch's transaction.</summary>
    private async Task<MerkleFrontier> FrontierAsync(DbConnection connection, DbTransaction? transaction, long size)
    {
        if (_frontier is null || _frontier.Size > size)
        {
            // A process's first batch (or the one after a failed batch): the edge from the stored subtrees where they are all there.
            _frontier = await AuditTreeEdge.ReadAsync(connection, transaction, size, CancellationToken.None) ?? new MerkleFrontier();
        }
        if (_frontier.Size < size)
        {
            await using var command = Command(connection, transaction,
                """SELECT "EntryHash" FROM "AuditEntries" WHERE "Sequence" > @from AND "Sequence" <= @to ORDER BY "Sequence" """);
            command.WithParameter("@from", _frontier.Size);
            command.WithParameter("@to", size);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                _frontier.Append(reader.GetFieldValue<byte[]>(0));
            }
        }
        return _frontier;
    }

    private const string TailText = """SELECT "Sequence", "EntryHash" FROM "AuditEntries" ORDER BY "Sequence" DESC LIMIT 1""";

    /// <summary>
    /// The log's last entry, read inside the batch's transaction. On PostgreSQL the writers' lock is taken first, in the same
    /// round trip (statements in a batch run in order, so the tail is read only once the lock is held): one writer at a
    /// time across hub processes, each chaining onto the entry the one before it committed.
    /// </summary>
    private async Task<(long Sequence, byte[] Hash)> TailAsync(DbConnection connection, DbTransaction? transaction)
    {
        if (transaction is null)
        {
            await using var batch = connection.CreateBatch();
            foreach (var text in new[] { "BEGIN", string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({AdvisoryLockKey})"), TailText })
            {
                batch.BatchCommands.Add(Step(batch, text));
            }
            await using var locked = await batch.ExecuteReaderAsync();
            await locked.NextResultAsync();
            return await TailFromAsync(locked);
        }
        await using var command = Command(connection, transaction, TailText);
        await using var reader = await command.ExecuteReaderAsync();
        return await TailFromAsync(reader);
    }

    private static async Task<(long Sequence, byte[] Hash)> TailFromAsync(DbDataReader reader) =>
        await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0, []);

    private static DbBatchCommand Step(DbBatch batch, string text)
    {
        var step = batch.CreateBatchCommand();
        step.CommandText = text;
        return step;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string text)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = text;
        return command;
    }

    private async Task<Statements> StatementsAsync()
    {
        if (_statements is { Connection.State: ConnectionState.Open })
        {
            return _statements;
        }
        await DropStatementsAsync();
        await using var db = _contexts.Create();
        var connectionString = db.Database.GetConnectionString();
        DbConnection connection = _contexts.Engine == DatabaseEngine.Sqlite ? new SqliteConnection(connectionString) : new Npgsql.NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            SqliteTuning.Tune(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        _statements = new Statements(connection, new RowInserter<AuditEntry>(db, connection), new RowInserter<AuditCheckpoint>(db, connection), new RowInserter<AuditNode>(db, connection));
        return _statements;
    }

    private async Task DropStatementsAsync()
    {
        if (_statements is not null)
        {
            await _statements.DisposeAsync();
            _statements = null;
        }
    }

    public override void Dispose()
    {
        _statements?.Dispose();
        _statements = null;
        base.Dispose();
    }

    /// <summary>The writer's own connection and the inserts prepared on it.</summary>
    private sealed record Statements(DbConnection Connection, RowInserter<AuditEntry> Entries, RowInserter<AuditCheckpoint> Checkpoints, RowInserter<AuditNode> Nodes)
        : IAsyncDisposable, IDisposable
    {
        public void Dispose()
        {
            Entries.Dispose();
            Checkpoints.Dispose();
            Nodes.Dispose();
            Connection.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            await Entries.DisposeAsync();
            await Checkpoints.DisposeAsync();
            await Nodes.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }

    private async Task DrainOnStopAsync()
    {
        var rest = new List<Pending>();
        while (_queue.Reader.TryRead(out var next))
        {
            rest.Add(next);
        }
        while (_owed.TryDequeue(out var owed))
        {
            rest.Insert(0, owed);
        }
        if (rest.Count > 0)
        {
            await CommitAsync(rest);
        }
        if (!_owed.IsEmpty)
        {
            _logger.LogCritical("The hub stopped owing {Count} audit entries for changes it had stored: they are in the log's error output only", _owed.Count);
        }
    }

    private static string Joined(IEnumerable<string> values)
    {
        var distinct = values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return distinct.Count == 0 ? "|" : "|" + string.Join('|', distinct) + "|";
    }

    private static string Clip(string value, int length) => value.Length <= length ? value : value[..length];

    /// <summary>An entry waiting for its batch; <c>Owed</c> marks one for a change already committed whose first append failed, retried until it commits.</summary>
    private sealed record Pending(Shaped Entry, TaskCompletionSource<long> Done, bool Owed = false)
    {
        public long Queued { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

        /// <summary>The batch that committed the entry, with when each of its steps ended.</summary>
        public BatchTimes? Batch { get; set; }
    }
}
