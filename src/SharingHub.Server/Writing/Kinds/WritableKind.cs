using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Policies.Model;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>
/// The fields of a record as a writer gives them, by the names the sharing rules and OData use (personId, code, startedAt...),
/// whichever API they came through: FHIR's elements are read into these names first, so one set of rules checks both.
/// </summary>
internal sealed class KindFields(Dictionary<string, object?> values)
{
    public Dictionary<string, object?> Values { get; } = values;

    public bool Has(string name) => Values.ContainsKey(name);

    public string? Text(string name) => Values.GetValueOrDefault(name) switch
    {
        Microsoft.OData.ODataEnumValue e => e.Value,
        var v => v as string,
    };

    public DateTimeOffset? Instant(string name) => Values.GetValueOrDefault(name) as DateTimeOffset?;

    /// <summary>A list of codes as either API gives it (a FHIR list, an OData collection); null if it is not one.</summary>
    public List<string>? Strings(string name) => Values.GetValueOrDefault(name) switch
    {
        null => [],
        IEnumerable<string> list => list.ToList(),
        Microsoft.OData.ODataCollectionValue collection when collection.Items.All(i => i is string) => collection.Items.Cast<string>().ToList(),
        _ => null,
    };

    public Guid? Id(string name) => Values.GetValueOrDefault(name) switch
    {
        Guid g => g,
        string s when Guid.TryParse(s, out var g) => g,
        _ => null,
    };
}

/// <summary>What a kind's write works with: the policy, the writer's agency, the field cipher, the person sealer (blind indexes) and the time of the write.</summary>
internal sealed record KindContext(PolicySet Policy, string Agency, IFieldCipher Cipher, Core.People.PersonSealer People, DateTimeOffset Now);

/// <summary>What a writer got wrong, by field name; each API places the names in its own error format.</summary>
internal sealed class KindProblems
{
    public List<(string Field, string Message)> Items { get; } = [];

    public KindProblems Add(string field, string? message)
    {
        if (message is not null)
        {
            Items.Add((field, message));
        }
        return this;
    }
}

/// <summary>
/// A kind of shared record that the organisation holding it writes through the APIs (a state, an involvement...): how its
/// fields are checked, how they become the stored record (sealed where sensitive), how FHIR names them, and how the stored
/// record reads back as fields for a partial change. Creating, conditional creating, updating with a version, ownership,
/// history and audit are the same for every kind (<see cref="KindWriter"/>).
/// </summary>
internal abstract class WritableKind
{
    /// <summary>The FHIR resource type and the OData entity set of the kind.</summary>
    public abstract string FhirType { get; }
    public abstract string ODataSet { get; }

    /// <summary>The field naming the person the record is about (always the writer's own record of them).</summary>
    public virtual string PersonField => "personId";

    /// <summary>Every field naming a person (the one the record is about first): each must be the writer's own record of them.</summary>
    public virtual IReadOnlyList<string> PersonFields => [PersonField];

    /// <summary>The people the fields name, each with its field and whether it is required: all must be the writer's own records.</summary>
    public virtual IEnumerable<(string Field, Guid? Id, bool Required)> People(KindFields fields) =>
        PersonFields.Select((f, i) => (f, fields.Id(f), i == 0 || fields.Values.GetValueOrDefault(f) is not null));

    /// <summary>The field holding the writer's own reference for the record (one record per reference per organisation).</summary>
    public virtual string ReferenceField => "sourceReference";

    /// <summary>The FHIR identifier system of the organisation's references for this kind, as reads show it.</summary>
    public virtual string IdentifierSystem(string organisation) => $"{Fhir.FhirSystems.SourceReference}:{organisation}";

    /// <summary>The fields a writer sets, by name: every other property is the hub's.</summary>
    public abstract IReadOnlyList<string> Fields { get; }

    /// <summary>Where each field sits in the FHIR resource, for errors in FHIR's terms.</summary>
    public abstract string FhirPath(string field);

    /// <summary>Reads a FHIR resource's elements into fields, naming any element the hub does not keep.</summary>
    public abstract KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error);

    public abstract Type RecordType { get; }

    /// <summary>The organisation's own record of this kind with the id, for a change; null if it has none.</summary>
    internal abstract Task<Record?> OwnAsync(HubDbContext db, string organisation, Guid id, CancellationToken ct);

    /// <summary>The organisation's own record of this kind with its reference, stored or staged in this write.</summary>
    internal abstract Task<Record?> ByReferenceAsync(HubDbContext db, string organisation, string reference, CancellationToken ct);

    internal abstract Record New();

    /// <summary>Checks the fields (all of them for a create; merged over the stored ones for a change) and writes them to the record.</summary>
    internal abstract void Apply(Record record, KindFields fields, KindContext context, KindProblems problems);

    /// <summary>The stored record as fields (sealed ones opened for their owner), for a change that gives only some; null if a key is unavailable.</summary>
    internal abstract KindFields? Current(Record record, IFieldCipher cipher);

    public static string? Open(IFieldCipher cipher, Record record, string property, EncryptedValue? value, out bool unavailable)
    {
        unavailable = false;
        if (value is null)
        {
            return null;
        }
        var plain = cipher.Decrypt(value, SensitiveFields.For(record, property));
        unavailable = !plain.IsAvailable;
        return plain.Value;
    }

    public static EncryptedValue? Seal(IFieldCipher cipher, Record record, string property, string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : cipher.Encrypt(text.Trim(), SensitiveFields.For(record, property));

    /// <summary>The data class: one the writer's agency owns, as for events.</summary>
    protected static string? DataClass(KindFields f, PolicySet policy, string agency, KindProblems problems)
    {
        var dataClass = f.Text("dataClass");
        problems.Add("dataClass", RecordRules.DataClass(policy, agency, dataClass));
        return dataClass;
    }

    protected static string? Code(KindFields f, string field, KindProblems problems)
    {
        var code = f.Text(field);
        problems.Add(field, RecordRules.Category(code) is null ? null : $"{field} is required: a lower-case code of letters, digits and hyphens (up to 80)");
        return code;
    }

    /// <summary>A period: a start (required), and an end after it or none.</summary>
    protected static (DateTimeOffset Start, DateTimeOffset? End) Period(KindFields f, string start, string end, KindProblems problems)
    {
        var from = f.Instant(start);
        var to = f.Instant(end);
        problems.Add(start, from is null ? $"{start} (a date and time with a zone) is required" : null);
        problems.Add(end, to is { } e && from is { } s && e < s ? $"{end} is before {start}" : f.Has(end) && f.Values[end] is not (null or DateTimeOffset) ? $"{end} is a date and time with a zone" : null);
        return (Core.Time.TimeProviderExtensions.TruncateForStorage(from ?? default), to is { } t ? Core.Time.TimeProviderExtensions.TruncateForStorage(t) : null);
    }

    protected static string? Text(KindFields f, string field, int max, KindProblems problems, bool required = false)
    {
        var text = f.Text(field);
        problems.Add(field, required && string.IsNullOrWhiteSpace(text) ? $"{field} (up to {max:N0} characters) is required"
            : text is { Length: var n } && n > max ? $"{field} is longer than {max:N0} characters" : f.Has(field) && f.Values[field] is not (null or string) ? $"{field} is text" : null);
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }
}

/// <summary>A writable kind over its record type.</summary>
internal abstract class WritableKind<T> : WritableKind
    where T : Record, new()
{
    public override Type RecordType => typeof(T);

    internal override async Task<Record?> OwnAsync(HubDbContext db, string organisation, Guid id, CancellationToken ct) =>
        await db.Set<T>().FirstOrDefaultAsync(r => r.Id == id && r.OwningOrganisation == organisation, ct);

    internal override async Task<Record?> ByReferenceAsync(HubDbContext db, string organisation, string reference, CancellationToken ct) =>
        RecordWriter.Staged<T>(db).FirstOrDefault(r => r.OwningOrganisation == organisation && ReferenceOf(r) == reference)
        ?? await db.Set<T>().AsNoTracking().FirstOrDefaultAsync(r => r.OwningOrganisation == organisation && EF.Property<string?>(r, ReferenceProperty) == reference, ct);

    /// <summary>The record's property holding the writer's reference.</summary>
    protected virtual string ReferenceProperty => "SourceReference";

    private string? ReferenceOf(T record) => typeof(T).GetProperty(ReferenceProperty)?.GetValue(record) as string;

    internal override Record New() => new T();

    internal override void Apply(Record record, KindFields fields, KindContext context, KindProblems problems) =>
        Apply((T)record, fields, context, problems);

    internal override KindFields? Current(Record record, IFieldCipher cipher) => Current((T)record, cipher);

    protected abstract void Apply(T record, KindFields fields, KindContext context, KindProblems problems);

    protected abstract KindFields? Current(T record, IFieldCipher cipher);
}

/// <summary>FHIR element reading shared by the kinds.</summary>
internal static class FhirFields
{
    public static string? Text(JsonElement element, string name) => Fhir.Write.ResourceInput.Text(element, name);

    public static IEnumerable<JsonElement> Array(JsonElement element, string name) => Fhir.Write.ResourceInput.Array(element, name);

    public static string? Coded(JsonElement root, string element, string system) =>
        root.TryGetProperty(element, out var concept)
            ? (concept.ValueKind == JsonValueKind.Array ? concept.EnumerateArray() : Enumerable.Repeat(concept, 1))
                .SelectMany(c => Array(c, "coding")).Where(c => Text(c, "system") == system).Select(c => Text(c, "code")).FirstOrDefault()
            : null;

    public static string? Extension(JsonElement root, string url, string value) =>
        Array(root, "extension").Where(e => Text(e, "url") == url).Select(e => Text(e, value)).FirstOrDefault();

    /// <summary>A dateTime with a time and a zone, or a problem; absent is null.</summary>
    public static object? Instant(string? text) =>
        text is null ? null
        : text.Contains('T', StringComparison.Ordinal) && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at)
            ? at : "not a dateTime";

    public static void Unsupported(JsonElement root, string type, IReadOnlySet<string> known, Action<string, string> error)
    {
        foreach (var property in root.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            var name = Fhir.SearchParameters.Safe(property.Name);
            error($"{type}.{name}", $"the hub does not store {type}.{name}; leave it out");
        }
    }

    /// <summary>The writer's own reference for the record: identifier with the system of its organisation (or agency).</summary>
    public static string? SourceReference(JsonElement root, string type, string sourceSystem, Action<string, string> error)
    {
        string? reference = null;
        foreach (var identifier in Array(root, "identifier"))
        {
            if (Text(identifier, "system") != sourceSystem || Text(identifier, "value") is not { } value || RecordRules.SourceReference(value) is not null)
            {
                error($"{type}.identifier", $"an identifier is the case system's own reference: system {sourceSystem}, value up to {RecordRules.MaxSourceReference} characters");
                continue;
            }
            reference = value;
        }
        return reference;
    }

    public static string? DataClass(JsonElement root) =>
        root.TryGetProperty("meta", out var meta) ? Array(meta, "tag").Where(t => Text(t, "system") == Fhir.FhirSystems.DataClass).Select(t => Text(t, "code")).FirstOrDefault() : null;
}
