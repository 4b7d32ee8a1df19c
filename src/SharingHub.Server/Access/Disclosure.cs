using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Model;

namespace SharingHub.Server.Access;

/// <summary>Opens permitted fields of permitted records; nothing else is ever decrypted.</summary>
internal sealed class Disclosures(IFieldCipher cipher)
{
    public Disclosure Of(Record record, Decision decision, bool aboutErasedRecord = false) => new(record, decision, cipher) { AboutErasedRecord = aboutErasedRecord };

    /// <summary>
    /// Readies the keys of the people among these records (each person's own fields are sealed under a
    /// key of their own), so opening a page of them reads the key store once, not once per person.
    /// </summary>
    public void Prefetch(IEnumerable<Record> records) =>
        cipher.Prefetch(records.OfType<Person>().SelectMany(p => new[] { p.GivenName, p.FamilyName, p.BirthDate, p.Address }.Concat(p.Identifiers.Select(i => i.Value))));
}

/// <summary>
/// One record as this request may see it. Fields the policy does not share are never decrypted; a field
/// whose key is gone (shredded, revoked, provider down) reads as unavailable. Both are remembered, so the
/// response can say what was withheld and what could not be read.
/// </summary>
internal sealed class Disclosure(Record record, Decision decision, IFieldCipher cipher)
{
    private readonly List<string> _withheld = [];
    private readonly List<string> _unavailable = [];

    public Record Record => record;
    public Decision Decision => decision;
    public IReadOnlyList<string> Withheld => _withheld;
    public IReadOnlyList<string> Unavailable => _unavailable;
    public bool IsRedacted => _withheld.Count > 0 || _unavailable.Count > 0;

    /// <summary>The record is about a person whose record its agency has erased: it is shown by the link that record had then.</summary>
    public bool AboutErasedRecord { get; init; }

    /// <summary>Whether a plain (unencrypted) field may be shown; a withheld one with a value is noted.</summary>
    public bool Shows(string property, bool hasValue = true)
    {
        if (Visible(decision, property))
        {
            return true;
        }
        if (hasValue)
        {
            _withheld.Add(RecordFields.CamelCase(property));
        }
        return false;
    }

    /// <summary>Whether the decision shows a field of the record (before anything is disclosed).</summary>
    public static bool Visible(Decision decision, string property)
    {
        var field = RecordFields.CamelCase(property);
        return decision.Fields.Contains(field) && !decision.RedactedFields.Contains(field);
    }

    /// <summary>The plaintext of an encrypted field of the record, or null when absent, withheld or unavailable.</summary>
    public string? Open(string property, EncryptedValue? value) =>
        value is null || !Shows(property) ? null : Read(value, SensitiveFields.For(record, property), property);

    /// <summary>An agency identifier, which is sealed under its own id.</summary>
    public string? OpenIdentifier(PersonIdentifier identifier)
    {
        const string property = nameof(Person.Identifiers);
        return !Shows(property) ? null : Read(identifier.Value, SensitiveFields.ForIdentifier(identifier, record.OwningAgency, record.DataClass), property);
    }

    public bool IsUnavailable(string property) => _unavailable.Contains(RecordFields.CamelCase(property));

    public bool IsWithheld(string property) => _withheld.Contains(RecordFields.CamelCase(property));

    private string? Read(EncryptedValue value, FieldContext context, string property)
    {
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("fields.open");
        var plain = cipher.Decrypt(value, context);
        if (!plain.IsAvailable)
        {
            var field = RecordFields.CamelCase(property);
            if (!_unavailable.Contains(field))
            {
                _unavailable.Add(field);
            }
        }
        return plain.Value;
    }
}
