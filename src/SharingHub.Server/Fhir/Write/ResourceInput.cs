using System.Globalization;
using System.Text.Json;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Policies.Model;
using SharingHub.Server.Writing;

namespace SharingHub.Server.Fhir.Write;

/// <summary>
/// Reads submitted Patient and Observation resources into the hub's terms. Elements the hub does not
/// store are refused by name rather than dropped without a word, so a partner never believes the hub
/// holds something it does not.
/// </summary>
internal static class ResourceInput
{
    private static readonly HashSet<string> PatientElements = ["resourceType", "id", "meta", "text", "extension", "identifier", "active", "name", "gender", "birthDate", "address"];
    private static readonly HashSet<string> ObservationElements =
        ["resourceType", "id", "meta", "text", "extension", "identifier", "status", "category", "code", "subject", "focus", "effectiveDateTime", "performer", "valueString", "note"];

    public static PersonDetails? Patient(JsonElement root, DateTimeOffset now, InputErrors errors)
    {
        Unsupported(root, PatientElements, "Patient", errors);
        var identifiers = new List<(IdentifierKind, string)>();
        foreach (var (identifier, i) in Array(root, "identifier").Select((x, i) => (x, i)))
        {
            var system = Text(identifier, "system");
            var value = Text(identifier, "value");
            if (system is null || FhirSystems.KindOf(system) is not { } kind)
            {
                errors.Add($"Patient.identifier[{i}].system", $"identifier system must be one of {FhirSystems.NhsNumber}, {FhirSystems.Upn}, {FhirSystems.PncId}, {FhirSystems.Crn}, {FhirSystems.LaPersonId}");
                continue;
            }
            if (RecordRules.Identifier(kind, value) is { } wrong)
            {
                errors.Add($"Patient.identifier[{i}].value", wrong);
                continue;
            }
            identifiers.Add((kind, value!));
        }
        if (identifiers.Count == 0 && !errors.Any)
        {
            errors.Add("Patient.identifier", "at least one agency identifier is required");
        }
        var name = Array(root, "name").FirstOrDefault();
        var family = name.ValueKind == JsonValueKind.Object ? Text(name, "family") : null;
        var given = name.ValueKind == JsonValueKind.Object ? Array(name, "given").Select(g => g.ValueKind == JsonValueKind.String ? g.GetString() : null).FirstOrDefault() : null;
        if (RecordRules.Name(family, "family") is { } familyWrong)
        {
            errors.Add("Patient.name[0].family", familyWrong);
        }
        if (RecordRules.Name(given, "given") is { } givenWrong)
        {
            errors.Add("Patient.name[0].given[0]", givenWrong);
        }
        DateOnly birthDate = default;
        // An unborn child has an expected date of delivery (extension) instead of a date of birth.
        var extensions = Array(root, "extension").ToList();
        var expected = extensions.Where(e => Text(e, "url") == FhirSystems.ExpectedDelivery).Select(e => Text(e, "valueDate")).FirstOrDefault();
        var unborn = extensions.Any(e => Text(e, "url") == FhirSystems.ExpectedDelivery);
        if (extensions.Any(e => Text(e, "url") != FhirSystems.ExpectedDelivery))
        {
            errors.Add("Patient.extension", $"the only Patient extension kept is {FhirSystems.ExpectedDelivery} (an unborn child's expected date of delivery)");
        }
        if (unborn)
        {
            if (Text(root, "birthDate") is not null)
            {
                errors.Add("Patient.birthDate", "an unborn child has an expected date of delivery, not a date of birth: give one or the other");
            }
            else if (expected is null || !DateOnly.TryParseExact(expected, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out birthDate))
            {
                errors.Add("Patient.extension", "the expected date of delivery is a full date (valueDate yyyy-MM-dd)");
            }
            else if (RecordRules.ExpectedDelivery(birthDate, now) is { } expectedWrong)
            {
                errors.Add("Patient.extension", expectedWrong);
            }
        }
        else if (Text(root, "birthDate") is not { } birth || !DateOnly.TryParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out birthDate))
        {
            errors.Add("Patient.birthDate", "a full date of birth (yyyy-MM-dd) is required (or, for an unborn child, the expected date of delivery extension)");
        }
        else if (RecordRules.BirthDate(birthDate, now) is { } birthWrong)
        {
            errors.Add("Patient.birthDate", birthWrong);
        }
        var gender = Text(root, "gender");
        if (RecordRules.Gender(gender) is { } genderWrong)
        {
            errors.Add("Patient.gender", genderWrong);
        }
        var addresses = Array(root, "address").ToList();
        // An address with use "old" is a previous one: kept only as a keyed postcode for linkage to compare, never stored or shown.
        static bool Old(JsonElement a) => a.ValueKind == JsonValueKind.Object && Text(a, "use") == "old";
        var address = addresses.Where(a => !Old(a)).Select(a => a.ValueKind == JsonValueKind.Object ? Text(a, "text") : null).FirstOrDefault();
        var previous = new List<string>();
        for (var i = 0; i < addresses.Count; i++)
        {
            if (Old(addresses[i]))
            {
                // Only its postcode is used: the text, or the postalCode alone.
                var text = Text(addresses[i], "text") ?? Text(addresses[i], "postalCode");
                if ((text is null ? "an old address needs its text or postalCode" : RecordRules.Address(text)) is { } previousWrong)
                {
                    errors.Add($"Patient.address[{i}].text", previousWrong);
                }
                else
                {
                    previous.Add(text!.Trim());
                }
            }
        }
        // The owner marks an address as a protected detail with the confidential-address extension.
        var confidential = addresses.Any(a => a.ValueKind == JsonValueKind.Object && Array(a, "extension").Any(e =>
            e.ValueKind == JsonValueKind.Object && Text(e, "url") == FhirSystems.ConfidentialAddress
            && e.TryGetProperty("valueBoolean", out var flag) && flag.ValueKind == JsonValueKind.True));
        if (RecordRules.Address(address) is { } addressWrong)
        {
            errors.Add("Patient.address[0].text", addressWrong);
        }
        if (errors.Any)
        {
            return null;
        }
        return new PersonDetails(unborn ? PersonKind.Unborn : RecordRules.KindOn(birthDate, now), given!.Trim(), family!.Trim(), birthDate, gender, address?.Trim(), identifiers, confidential)
        {
            PreviousAddresses = previous,
        };
    }

    public static EventDraft? Observation(JsonElement root, string agency, PolicySet policy, InputErrors errors)
    {
        Unsupported(root, ObservationElements, "Observation", errors);
        var subjects = new List<string>();
        if (root.TryGetProperty("subject", out var subject) && Text(subject, "reference") is { } s)
        {
            subjects.Add(s);
        }
        else
        {
            errors.Add("Observation.subject", "the subject (a Patient reference) is required");
        }
        subjects.AddRange(Array(root, "focus").Select(f => Text(f, "reference")).OfType<string>());
        var category = Array(root, "category").SelectMany(c => Array(c, "coding"))
            .Where(c => Text(c, "system") == FhirSystems.EventCategory).Select(c => Text(c, "code")).FirstOrDefault();
        if (RecordRules.Category(category) is not null)
        {
            errors.Add("Observation.category", $"a category coding with system {FhirSystems.EventCategory} and a lower-case code is required");
        }
        var occurred = DateTimeOffset.MinValue;
        if (Text(root, "effectiveDateTime") is not { } when || !when.Contains('T', StringComparison.Ordinal)
            || !DateTimeOffset.TryParse(when, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out occurred))
        {
            errors.Add("Observation.effectiveDateTime", "effectiveDateTime (date and time with a zone) is required");
        }
        var summary = Text(root, "valueString");
        if (RecordRules.Summary(summary) is not null)
        {
            errors.Add("Observation.valueString", "a summary (valueString, up to 2,000 characters) is required");
        }
        var detail = Array(root, "note").Select(n => Text(n, "text")).FirstOrDefault();
        if (RecordRules.Detail(detail) is not null)
        {
            errors.Add("Observation.note[0].text", "the detail is longer than 20,000 characters");
        }
        var significance = Significance.Medium;
        var significanceCode = Array(root, "extension").Where(e => Text(e, "url") == FhirSystems.Significance).Select(e => Text(e, "valueCode")).FirstOrDefault();
        if (significanceCode is not null && (!Enum.TryParse(significanceCode, ignoreCase: true, out significance) || significanceCode.Any(char.IsDigit)))
        {
            errors.Add("Observation.extension", "significance is low, medium, high or critical");
        }
        var dataClass = root.TryGetProperty("meta", out var meta)
            ? Array(meta, "tag").Where(t => Text(t, "system") == FhirSystems.DataClass).Select(t => Text(t, "code")).FirstOrDefault()
            : null;
        if (RecordRules.DataClass(policy, agency, dataClass) is not null)
        {
            errors.Add("Observation.meta.tag", $"a data class tag ({FhirSystems.DataClass}) naming a class that {agency} owns is required: {RecordRules.DataClass(policy, agency, dataClass)}");
        }
        string? sourceReference = null;
        foreach (var identifier in Array(root, "identifier"))
        {
            if (Text(identifier, "system") != $"{FhirSystems.SourceReference}:{agency}" || Text(identifier, "value") is not { } value || RecordRules.SourceReference(value) is not null)
            {
                errors.Add("Observation.identifier", $"an identifier is the case system's own reference: system {FhirSystems.SourceReference}:{agency}, value up to 100 characters");
                continue;
            }
            sourceReference = value;
        }
        return errors.Any ? null : new EventDraft(subjects, category!, significance, TimeProviderExtensions.TruncateForStorage(occurred), summary!, detail, dataClass!, sourceReference);
    }

    private static readonly HashSet<string> TaskElements = ["resourceType", "id", "meta", "text", "extension", "status", "intent", "priority", "code", "description", "for", "authoredOn",
        "requester", "owner", "reasonCode"];

    /// <summary>A referral as a Task: code referral, for the child, the concern as description, the referrer (protected) as an extension.</summary>
    public static ReferralDraft? Referral(JsonElement root, InputErrors errors)
    {
        Unsupported(root, TaskElements, "Task", errors);
        var codings = root.TryGetProperty("code", out var c) ? Array(c, "coding").ToList() : [];
        var code = codings.Where(x => Text(x, "system") == FhirTasks.TaskCodes).Select(x => Text(x, "code")).FirstOrDefault();
        if (code != "referral")
        {
            errors.Add("Task.code", $"only referrals are created here: code {FhirTasks.TaskCodes}|referral");
        }
        // A contact (a concern, or a request for advice) or a referral proper, as a second coding of the code.
        var kind = codings.Where(x => Text(x, "system") == FhirTasks.FrontDoorKinds).Select(x => Text(x, "code")).FirstOrDefault() switch
        {
            null or "referral" => ReferralKind.Referral,
            "contact" => ReferralKind.Contact,
            _ => (ReferralKind?)null,
        };
        if (kind is null)
        {
            errors.Add("Task.code", $"a {FhirTasks.FrontDoorKinds} coding is contact or referral");
        }
        // The referrer's urgency: red (asap or stat) is decided within hours, amber (urgent, or none) the next working day, green (routine) within days.
        var urgency = Text(root, "priority") switch
        {
            null or "urgent" => ReferralUrgency.Amber,
            "asap" or "stat" => ReferralUrgency.Red,
            "routine" => ReferralUrgency.Green,
            _ => (ReferralUrgency?)null,
        };
        if (urgency is null)
        {
            errors.Add("Task.priority", "priority is asap (red: decided within hours), urgent (amber: the next working day) or routine (green)");
        }
        var category = Array(root, "reasonCode").SelectMany(r => Array(r, "coding")).Concat(root.TryGetProperty("reasonCode", out var rc) ? Array(rc, "coding") : [])
            .Where(x => Text(x, "system") == FhirTasks.ConcernCategories).Select(x => Text(x, "code")).FirstOrDefault();
        if (root.TryGetProperty("reasonCode", out _) && (category is null || Writing.RecordRules.Category(category) is not null))
        {
            errors.Add("Task.reasonCode", $"the category of concern is a {FhirTasks.ConcernCategories} code (neglect, physical-abuse, domestic-abuse...)");
        }
        if (Text(root, "status") is { } status && status != "requested")
        {
            errors.Add("Task.status", "a new referral is requested; the front door decides it with $decide");
        }
        if (Text(root, "intent") is { } intent && intent != "order")
        {
            errors.Add("Task.intent", "a referral's intent is order");
        }
        var subject = root.TryGetProperty("for", out var f) ? Text(f, "reference") : null;
        if (subject is null)
        {
            errors.Add("Task.for", "the child referred (a Patient reference) is required");
        }
        var concern = Text(root, "description");
        if (string.IsNullOrWhiteSpace(concern) || concern.Length > 4_000)
        {
            errors.Add("Task.description", "the concern (up to 4,000 characters) is required");
        }
        var referrer = Array(root, "extension").Where(e => Text(e, "url") == FhirSystems.Referrer).Select(e => Text(e, "valueString")).FirstOrDefault();
        if (referrer is { Length: > 200 })
        {
            errors.Add("Task.extension", "the referrer's name and role is at most 200 characters");
        }
        return errors.Any ? null : new ReferralDraft(subject!, concern!.Trim(), referrer?.Trim(), urgency!.Value, kind!.Value, category);
    }

    private static void Unsupported(JsonElement root, HashSet<string> known, string type, InputErrors errors)
    {
        foreach (var property in root.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            errors.Add($"{type}.{SearchParameters.Safe(property.Name)}", $"the hub does not store {type}.{SearchParameters.Safe(property.Name)}; leave it out");
        }
    }

    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];
}

/// <summary>A referral as the referrer sends it: the child, the concern, who referred, how urgent, contact or referral, the category of concern.</summary>
internal sealed record ReferralDraft(string Subject, string Concern, string? Referrer, ReferralUrgency Urgency, ReferralKind Kind, string? Category);
