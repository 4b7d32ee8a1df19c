using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using SharingHub.Core.Records;

namespace SharingHub.Data.Storage;

/// <summary>What the decision point needs of a case: the enquiry's id, reference, closure and stage, its children, and each member's agency, subject and dates.</summary>
public sealed record CaseFacts(Guid Id, string Reference, DateTimeOffset? ClosedAt, CaseStage Stage, IReadOnlyList<Guid> Subjects, IReadOnlyList<CaseMemberFacts> Members);

/// <summary>One member of a case as the decision point sees it.</summary>
public sealed record CaseMemberFacts(string Agency, string UserSubject, DateTimeOffset AddedAt, DateTimeOffset? RemovedAt);

/// <summary>
/// Reads a case's <see cref="CaseFacts"/> on SQLite with statements prepared once per connection and kept. Every
/// case-bound request reads its case first; Microsoft.Data.Sqlite prepares each new command's SQL afresh (it keeps no
/// statement cache across commands: dotnet/efcore#14044), which with EF's query pipeline was most of the lookup's
/// 0.4-0.7 ms (issue 27). Here a few connections of the hub's own (tuned as every hub connection is) each hold the three
/// statements prepared, and a read binds the id and steps them in one read transaction, so the three see one snapshot.
/// It reads the rows as they are now, as the EF query did: a member removed or a case closed takes effect on the next
/// request. Table and column names, and each value's conversion, come from the EF model, so they are what EF writes.
/// PostgreSQL keeps the compiled EF query (<see cref="Prepared"/> is false): its cost there is the round trip.
/// </summary>
public sealed class CaseReads(IHubDbContextFactory contexts) : IDisposable
{
    /// <summary>Idle connections kept (more are opened under load and closed when returned past this).</summary>
    private const int MaxIdle = 16;

    private readonly ConcurrentBag<Reader> _idle = [];
    private readonly Lock _gate = new();
    private Shape? _shape;
    private int _idleCount;
    private bool _disposed;

    /// <summary>Whether reads go through the prepared statements (SQLite) rather than the caller's EF query.</summary>
    public bool Prepared => contexts.Engine == DatabaseEngine.Sqlite;

    /// <summary>The case with this id, or null when there is none.</summary>
    public async Task<CaseFacts?> ReadAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!Prepared)
        {
            throw new InvalidOperationException("prepared case reads are for SQLite; PostgreSQL reads the case with its EF query");
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        var reader = Rent();
        try
        {
            var facts = await reader.ReadAsync(id, cancellationToken);
            Return(reader);
            return facts;
        }
        catch
        {
            // A read that failed or was cancelled leaves nothing half-done on a connection that is then closed.
            reader.Dispose();
            throw;
        }
    }

    private Reader Rent()
    {
        if (_idle.TryTake(out var reader))
        {
            Interlocked.Decrement(ref _idleCount);
            return reader;
        }
        return new Reader(ShapeOf());
    }

    private void Return(Reader reader)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > MaxIdle)
        {
            Interlocked.Decrement(ref _idleCount);
            reader.Dispose();
            return;
        }
        _idle.Add(reader);
    }

    private Shape ShapeOf()
    {
        lock (_gate)
        {
            if (_shape is null)
            {
                using var db = contexts.Create();
                _shape = new Shape(db);
            }
            return _shape;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>The SQL and the properties it reads, from the EF model (once per hub).</summary>
    private sealed class Shape
    {
        public Shape(HubDbContext db)
        {
            ConnectionString = db.Database.GetConnectionString() ?? throw new InvalidOperationException("the hub's database has no connection string");
            var sql = db.GetService<ISqlGenerationHelper>();
            var model = db.Model;
            var enquiry = model.FindEntityType(typeof(Enquiry))!;
            var subject = model.FindEntityType(typeof(EnquirySubject))!;
            var member = model.FindEntityType(typeof(EnquiryMember))!;
            Id = enquiry.FindProperty(nameof(Core.Records.Enquiry.Id))!;
            Enquiry = [Id, enquiry.FindProperty(nameof(Core.Records.Enquiry.Reference))!, enquiry.FindProperty(nameof(Core.Records.Enquiry.ClosedAt))!,
                enquiry.FindProperty(nameof(Core.Records.Enquiry.Stage))!];
            Subject = [subject.FindProperty(nameof(EnquirySubject.PersonId))!];
            Member = [member.FindProperty(nameof(EnquiryMember.Agency))!, member.FindProperty(nameof(EnquiryMember.UserSubject))!,
                member.FindProperty(nameof(EnquiryMember.AddedAt))!, member.FindProperty(nameof(EnquiryMember.RemovedAt))!];
            string Select(IEntityType type, IReadOnlyList<IProperty> columns, string key)
            {
                var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
                return $"SELECT {string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName(table)!)))} FROM {sql.DelimitIdentifier(table.Name)} "
                    + $"WHERE {sql.DelimitIdentifier(type.FindProperty(key)!.GetColumnName(table)!)} = @id;";
            }
            Text = Select(enquiry, Enquiry, nameof(Core.Records.Enquiry.Id)) + "\n" + Select(subject, Subject, nameof(EnquirySubject.EnquiryId)) + "\n"
                + Select(member, Member, nameof(EnquiryMember.EnquiryId));
        }

        public string ConnectionString { get; }
        public string Text { get; }
        public IProperty Id { get; }
        public IProperty[] Enquiry { get; }
        public IProperty[] Subject { get; }
        public IProperty[] Member { get; }
    }

    /// <summary>One connection of the hub's own with the case's statements prepared on it.</summary>
    private sealed class Reader : IDisposable
    {
        private readonly Shape _shape;
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _command;
        private readonly DbParameter _id;

        public Reader(Shape shape)
        {
            _shape = shape;
            _connection = new SqliteConnection(shape.ConnectionString);
            try
            {
                _connection.Open();
                SqliteTuning.Tune(_connection);
                _command = _connection.CreateCommand();
                _command.CommandText = shape.Text;
                _id = shape.Id.GetRelationalTypeMapping().CreateParameter(_command, "@id", Guid.Empty, nullable: false);
                _command.Parameters.Add(_id);
                _command.Prepare();
            }
            catch
            {
                _connection.Dispose();
                throw;
            }
        }

        public async Task<CaseFacts?> ReadAsync(Guid id, CancellationToken cancellationToken)
        {
            _id.Value = _shape.Id.GetTypeMapping().Converter?.ConvertToProvider(id) ?? id;
            await using var transaction = _connection.BeginTransaction(deferred: true);
            _command.Transaction = transaction;
            CaseFacts? facts = null;
            await using (var rows = await _command.ExecuteReaderAsync(cancellationToken))
            {
                if (await rows.ReadAsync(cancellationToken))
                {
                    var (enquiry, subjects, members) = (_shape.Enquiry, new List<Guid>(), new List<CaseMemberFacts>());
                    var (caseId, reference, closedAt, stage) = (Value<Guid>(rows, 0, enquiry[0]), Value<string>(rows, 1, enquiry[1]),
                        Value<DateTimeOffset?>(rows, 2, enquiry[2]), Value<CaseStage>(rows, 3, enquiry[3]));
                    await rows.NextResultAsync(cancellationToken);
                    while (await rows.ReadAsync(cancellationToken))
                    {
                        subjects.Add(Value<Guid>(rows, 0, _shape.Subject[0]));
                    }
                    await rows.NextResultAsync(cancellationToken);
                    while (await rows.ReadAsync(cancellationToken))
                    {
                        members.Add(new CaseMemberFacts(Value<string>(rows, 0, _shape.Member[0]), Value<string>(rows, 1, _shape.Member[1]),
                            Value<DateTimeOffset>(rows, 2, _shape.Member[2]), Value<DateTimeOffset?>(rows, 3, _shape.Member[3])));
                    }
                    facts = new CaseFacts(caseId, reference, closedAt, stage, subjects, members);
                }
            }
            await transaction.CommitAsync(cancellationToken);
            _command.Transaction = null;
            return facts;
        }

        /// <summary>A column's value as EF reads it: the provider's value through the property's own converter, if it has one.</summary>
        private static T Value<T>(DbDataReader rows, int ordinal, IProperty property)
        {
            if (rows.IsDBNull(ordinal))
            {
                return default!;
            }
            var converter = property.GetTypeMapping().Converter;
            if (converter is null)
            {
                return rows.GetFieldValue<T>(ordinal);
            }
            var provider = Nullable.GetUnderlyingType(converter.ProviderClrType) ?? converter.ProviderClrType;
            return (T)converter.ConvertFromProvider(Convert.ChangeType(rows.GetValue(ordinal), provider, CultureInfo.InvariantCulture))!;
        }

        public void Dispose()
        {
            _command.Dispose();
            _connection.Dispose();
        }
    }
}
