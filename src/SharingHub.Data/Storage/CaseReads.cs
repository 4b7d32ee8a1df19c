using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using SharingHub.Core.Records;

namespace SharingHub.Data.Storage;

/// <summary>What the decision point needs of a case: the enquiry's id, reference, closure and stage, its children, and each member's agency, subject and dates.</summary>
public sealed record CaseFacts(Guid Id, string Reference, DateTimeOffset? ClosedAt, CaseStage Stage, IReadOnlyList<Guid> Subjects, IReadOnlyList<EnquiryMemberFacts> Members);

/// <summary>
/// Reads a case's <see cref="CaseFacts"/> on SQLite with statements kept prepared (<see cref="SqliteStatements"/>). Every
/// case-bound request reads its case first, and preparing EF's SQL afresh each time was most of the lookup's 0.4-0.7 ms
/// (issue 27). The three statements (the enquiry, its children, its members) run in one read transaction, so the three
/// see one snapshot. It reads the rows as they are now, as the EF query did: a member removed or a case closed takes
/// effect on the next request. Table and column names, and each value's conversion, come from the EF model, so they are
/// what EF writes. PostgreSQL keeps the compiled EF query (<see cref="Prepared"/> is false): its cost there is the round trip.
/// </summary>
public sealed class CaseReads(IHubDbContextFactory contexts, SqliteStatements statements)
{
    private readonly Lock _gate = new();
    private Shape? _shape;

    /// <summary>Whether reads go through the prepared statements (SQLite) rather than the caller's EF query.</summary>
    public bool Prepared => contexts.Engine == DatabaseEngine.Sqlite;

    /// <summary>The case with this id, or null when there is none.</summary>
    public Task<CaseFacts?> ReadAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!Prepared)
        {
            throw new InvalidOperationException("prepared case reads are for SQLite; PostgreSQL reads the case with its EF query");
        }
        var shape = ShapeOf();
        return statements.ReadAsync(shape.Text, shape.Parameters, (command, ct) => shape.ReadAsync(command, id, ct), snapshot: true, cancellationToken);
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

    /// <summary>A column as EF reads it: the provider's value, through the property's converter when it has one.</summary>
    private sealed class Column(IProperty property)
    {
        private readonly ValueConverter? _converter = property.GetTypeMapping().Converter;
        private readonly Type? _provider = property.GetTypeMapping().Converter is { } c ? Nullable.GetUnderlyingType(c.ProviderClrType) ?? c.ProviderClrType : null;

        public IProperty Property { get; } = property;

        public T Read<T>(DbDataReader rows, int ordinal) =>
            rows.IsDBNull(ordinal) ? default!
            : _converter is null ? rows.GetFieldValue<T>(ordinal)
            : (T)_converter.ConvertFromProvider(Convert.ChangeType(rows.GetValue(ordinal), _provider!, CultureInfo.InvariantCulture))!;

        public object? ToProvider(object? value) => _converter is null ? value : _converter.ConvertToProvider(value);
    }

    /// <summary>The SQL, its parameter and the columns it reads, from the EF model (once per hub).</summary>
    private sealed class Shape
    {
        private readonly Column _id;
        private readonly Column[] _enquiry, _subject, _member;

        public Shape(HubDbContext db)
        {
            var sql = db.GetService<ISqlGenerationHelper>();
            var model = db.Model;
            var enquiry = model.FindEntityType(typeof(Enquiry))!;
            var subject = model.FindEntityType(typeof(EnquirySubject))!;
            var member = model.FindEntityType(typeof(EnquiryMember))!;
            Column[] Columns(IEntityType type, params string[] names) => [.. names.Select(n => new Column(type.FindProperty(n)!))];
            _enquiry = Columns(enquiry, nameof(Enquiry.Id), nameof(Enquiry.Reference), nameof(Enquiry.ClosedAt), nameof(Enquiry.Stage));
            _id = _enquiry[0];
            _subject = Columns(subject, nameof(EnquirySubject.PersonId));
            _member = Columns(member, nameof(EnquiryMember.Agency), nameof(EnquiryMember.UserSubject), nameof(EnquiryMember.AddedAt), nameof(EnquiryMember.RemovedAt));
            string Select(IEntityType type, Column[] columns, string key)
            {
                var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
                return $"SELECT {string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName(table)!)))} FROM {sql.DelimitIdentifier(table.Name)} "
                    + $"WHERE {sql.DelimitIdentifier(type.FindProperty(key)!.GetColumnName(table)!)} = @id;";
            }
            Text = Select(enquiry, _enquiry, nameof(Enquiry.Id)) + "\n" + Select(subject, _subject, nameof(EnquirySubject.EnquiryId)) + "\n"
                + Select(member, _member, nameof(EnquiryMember.EnquiryId));
        }

        public string Text { get; }

        /// <summary>The statements' one parameter, the case's id, typed as EF binds it.</summary>
        public void Parameters(SqliteCommand command) =>
            command.Parameters.Add(_id.Property.GetRelationalTypeMapping().CreateParameter(command, "@id", Guid.Empty, nullable: false));

        public async Task<CaseFacts?> ReadAsync(SqliteCommand command, Guid id, CancellationToken cancellationToken)
        {
            command.Parameters[0].Value = _id.ToProvider(id);
            await using var rows = await command.ExecuteReaderAsync(cancellationToken);
            if (!await rows.ReadAsync(cancellationToken))
            {
                return null;
            }
            var (caseId, reference, closedAt, stage) = (_enquiry[0].Read<Guid>(rows, 0), _enquiry[1].Read<string>(rows, 1),
                _enquiry[2].Read<DateTimeOffset?>(rows, 2), _enquiry[3].Read<CaseStage>(rows, 3));
            var (subjects, members) = (new List<Guid>(), new List<EnquiryMemberFacts>());
            await rows.NextResultAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                subjects.Add(_subject[0].Read<Guid>(rows, 0));
            }
            await rows.NextResultAsync(cancellationToken);
            while (await rows.ReadAsync(cancellationToken))
            {
                members.Add(new EnquiryMemberFacts(_member[0].Read<string>(rows, 0), _member[1].Read<string>(rows, 1),
                    _member[2].Read<DateTimeOffset>(rows, 2), _member[3].Read<DateTimeOffset?>(rows, 3)));
            }
            return new CaseFacts(caseId, reference, closedAt, stage, subjects, members);
        }
    }
}
