using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharingHub.Core.Records;
using SharingHub.Server.Fhir;
using SharingHub.Server.Writing;

namespace SharingHub.Server.Mais;

/// <summary>Who is asked about: identifiers, name and date of birth from the query's Patient, and the reason (a legal basis URI).</summary>
internal sealed record PersonQuery(IReadOnlyList<(IdentifierKind Kind, string Value)> Identifiers, string? Family, string? Given, DateOnly? BirthDate, Uri Reason)
{
    /// <summary>Identifier systems the hub does not know, left out of matching and named in the answer.</summary>
    public IReadOnlyList<string> IgnoredSystems { get; init; } = [];

    /// <summary>A birth date known only to its month (FHIR's partial date "2011-09"), matched as the month.</summary>
    public (int Year, int Month)? BirthMonth { get; init; }
}

internal sealed record InvolvementSummary(string Agency, string Service, string Status, DateTimeOffset? Start, DateTimeOffset? End);

internal sealed record ContactSummary(string Agency, string Name, string? Phone, string? Email);

/// <summary>An answer to the person-info-query: whether the person is known, who to contact, and which services are involved.</summary>
internal sealed record PersonAnswer(bool Match, IReadOnlyList<ContactSummary> Contacts, IReadOnlyList<InvolvementSummary> Involvements)
{
    public static readonly PersonAnswer NoMatch = new(false, [], []);

    /// <summary>What of a partner's answer was left unread (parameters this hub does not know, contacts or involvements it could not read).</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];
}

/// <summary>
/// The MAIS person-info-query's payloads (a constrained FHIR $match): the request Parameters with a
/// Patient and a reason URI, and the answer Parameters with match, contact Organizations and
/// involvements. Both directions are read strictly: what a partner sends back is checked as hard as
/// what a caller sends in, and a malformed or oversized answer is refused by name.
/// </summary>
internal static class MaisMessages
{
    public const int MaxQueryBytes = 64 * 1024;
    public const int MaxAnswerBytes = 256 * 1024;
    public const int MaxAnswerParameters = 200;
    private const int MaxText = 200;

    public static (PersonQuery? Query, string? Problem) ReadQuery(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || Text(root, "resourceType") != "Parameters" || !root.TryGetProperty("parameter", out var parameters)
            || parameters.ValueKind != JsonValueKind.Array)
        {
            return (null, "the body is a FHIR Parameters resource with a 'resource' (Patient) and a 'reason' (valueUri)");
        }
        JsonElement? patient = null;
        Uri? reason = null;
        foreach (var p in parameters.EnumerateArray())
        {
            switch (Text(p, "name"))
            {
                case "resource" when patient is null && p.TryGetProperty("resource", out var r) && Text(r, "resourceType") == "Patient":
                    patient = r;
                    break;
                case "reason" when reason is null && Text(p, "valueUri") is { } uri && Uri.TryCreate(uri, UriKind.Absolute, out var parsed):
                    reason = parsed;
                    break;
                default:
                    return (null, $"unexpected parameter '{Safe(Text(p, "name"))}': the query takes one 'resource' (a Patient) and one 'reason' (valueUri)");
            }
        }
        if (patient is not { } person || reason is null)
        {
            return (null, "the query needs a 'resource' parameter holding a Patient and a 'reason' parameter with a valueUri");
        }
        var identifiers = new List<(IdentifierKind, string)>();
        var ignored = new List<string>();
        foreach (var identifier in Array(person, "identifier"))
        {
            if (Text(identifier, "system") is not { } system || FhirSystems.KindOf(system) is not { } kind)
            {
                // A system the hub does not know says nothing it could match on: left out, and named in the answer.
                ignored.Add(Safe(Text(identifier, "system")));
                continue;
            }
            var value = Text(identifier, "value");
            if (RecordRules.Identifier(kind, value) is { } wrong)
            {
                return (null, $"identifier {kind}: {wrong}");
            }
            identifiers.Add((kind, value!));
        }
        var name = Array(person, "name").FirstOrDefault();
        var family = name.ValueKind == JsonValueKind.Object ? Text(name, "family") : null;
        var given = name.ValueKind == JsonValueKind.Object ? Array(name, "given").Select(g => g.ValueKind == JsonValueKind.String ? g.GetString() : null).FirstOrDefault() : null;
        DateOnly? birthDate = null;
        (int Year, int Month)? birthMonth = null;
        if (Text(person, "birthDate") is { } birth)
        {
            if (DateOnly.TryParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                birthDate = day;
            }
            else if (DateOnly.TryParseExact(birth + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
            {
                birthMonth = (month.Year, month.Month);
            }
            else
            {
                return (null, "birthDate is a date (yyyy-MM-dd) or, when only the month is known, yyyy-MM");
            }
        }
        if (identifiers.Count == 0 && (family is null || (birthDate is null && birthMonth is null)))
        {
            return (null, "the Patient needs an identifier, or a family name and a date of birth, to be matched");
        }
        if (family is { Length: > MaxText } || given is { Length: > MaxText } || identifiers.Count + ignored.Count > 10)
        {
            return (null, "the Patient is too large: names up to 200 characters, at most 10 identifiers");
        }
        return (new PersonQuery(identifiers, family, given, birthDate, reason) { IgnoredSystems = ignored, BirthMonth = birthMonth }, null);
    }

    /// <summary>The query as the hub sends it to a partner: only what identifies the person, and the reason.</summary>
    public static JsonObject Query(PersonQuery query)
    {
        var patient = new JsonObject { ["resourceType"] = "Patient" };
        if (query.Identifiers.Count > 0)
        {
            patient["identifier"] = new JsonArray(query.Identifiers.Select(i => (JsonNode)new JsonObject { ["system"] = FhirSystems.For(i.Kind), ["value"] = i.Value }).ToArray());
        }
        if (query.Family is not null)
        {
            var name = new JsonObject { ["family"] = query.Family };
            if (query.Given is not null)
            {
                name["given"] = new JsonArray(query.Given);
            }
            patient["name"] = new JsonArray(name);
        }
        if (query.BirthDate is { } birth)
        {
            patient["birthDate"] = birth.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        else if (query.BirthMonth is { } month)
        {
            patient["birthDate"] = new DateOnly(month.Year, month.Month, 1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        }
        return new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["parameter"] = new JsonArray(
                new JsonObject { ["name"] = "resource", ["resource"] = patient },
                new JsonObject { ["name"] = "reason", ["valueUri"] = query.Reason.ToString() }),
        };
    }

    public static JsonObject Answer(PersonAnswer answer, IReadOnlyList<string>? ignoredSystems = null)
    {
        var parameters = new JsonArray(new JsonObject { ["name"] = "match", ["valueBoolean"] = answer.Match });
        if (ignoredSystems is { Count: > 0 })
        {
            // What the hub could not use of the query, said so the asker knows the answer did not rest on it.
            parameters.Add(new JsonObject
            {
                ["name"] = "outcome",
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "OperationOutcome",
                    ["issue"] = new JsonArray(ignoredSystems.Distinct().Select(s => (JsonNode)new JsonObject
                    {
                        ["severity"] = "warning", ["code"] = "not-supported",
                        ["diagnostics"] = $"identifier system '{s}' is not one the hub knows; it was left out of matching",
                    }).ToArray()),
                },
            });
        }
        foreach (var contact in answer.Contacts)
        {
            var organization = new JsonObject
            {
                ["resourceType"] = "Organization",
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:sharinghub:agency", ["value"] = contact.Agency }),
                ["name"] = contact.Name,
            };
            var telecom = new JsonArray();
            if (contact.Phone is not null)
            {
                telecom.Add(new JsonObject { ["system"] = "phone", ["value"] = contact.Phone, ["use"] = "work" });
            }
            if (contact.Email is not null)
            {
                telecom.Add(new JsonObject { ["system"] = "email", ["value"] = contact.Email, ["use"] = "work" });
            }
            if (telecom.Count > 0)
            {
                organization["telecom"] = telecom;
            }
            parameters.Add(new JsonObject { ["name"] = "contact", ["resource"] = organization });
        }
        foreach (var involvement in answer.Involvements)
        {
            var period = new JsonObject();
            if (involvement.Start is { } start)
            {
                period["start"] = FhirMapping.Instant(start);
            }
            if (involvement.End is { } end)
            {
                period["end"] = FhirMapping.Instant(end);
            }
            var part = new JsonArray(
                new JsonObject { ["name"] = "agency", ["valueCode"] = involvement.Agency },
                new JsonObject { ["name"] = "service", ["valueString"] = involvement.Service },
                new JsonObject { ["name"] = "status", ["valueCode"] = involvement.Status });
            if (period.Count > 0)
            {
                part.Add(new JsonObject { ["name"] = "period", ["valuePeriod"] = period });
            }
            parameters.Add(new JsonObject { ["name"] = "involvement", ["part"] = part });
        }
        return new JsonObject { ["resourceType"] = "Parameters", ["parameter"] = parameters };
    }

    /// <summary>
    /// A partner's answer, read for what it says. Its shape (a Parameters with a boolean <c>match</c>), its size and the agencies it
    /// names are checked strictly, and any failure refuses the whole answer; within that, a parameter this hub does not know, a
    /// contact without a usable name or an involvement without a service is left out and named in <see cref="PersonAnswer.Ignored"/>,
    /// so a partner on a later version of the standard is still heard.
    /// </summary>
    /// <remarks>
    /// Each contact and involvement keeps the agency the partner names (a hub answers for several); one the partner may not
    /// speak for refuses the whole answer, and one it does not name is the partner's own agency.
    /// </remarks>
    public static (PersonAnswer? Answer, string? Problem) ReadAnswer(JsonElement root, string partnerAgency, IReadOnlySet<string>? speaksFor = null)
    {
        speaksFor ??= new HashSet<string>(StringComparer.Ordinal) { partnerAgency };
        if (root.ValueKind != JsonValueKind.Object || Text(root, "resourceType") != "Parameters" || !root.TryGetProperty("parameter", out var parameters)
            || parameters.ValueKind != JsonValueKind.Array)
        {
            return (null, "the answer is not a FHIR Parameters resource");
        }
        if (parameters.GetArrayLength() > MaxAnswerParameters)
        {
            return (null, $"the answer has more than {MaxAnswerParameters} parameters");
        }
        bool? match = null;
        var contacts = new List<ContactSummary>();
        var involvements = new List<InvolvementSummary>();
        var ignored = new List<string>();
        foreach (var p in parameters.EnumerateArray())
        {
            switch (Text(p, "name"))
            {
                case "match" when p.TryGetProperty("valueBoolean", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    if (match is not null && match != b.GetBoolean())
                    {
                        return (null, "the answer says both match and no match");
                    }
                    match = b.GetBoolean();
                    break;
                case "contact" when p.TryGetProperty("resource", out var org) && Text(org, "resourceType") == "Organization":
                    var named = Array(org, "identifier").Where(i => Text(i, "system") == "urn:sharinghub:agency").Select(i => Text(i, "value")).FirstOrDefault();
                    if (named is not null && !speaksFor.Contains(named))
                    {
                        return (null, $"a contact names agency '{Safe(named)}', which this partner may not answer for");
                    }
                    if (Bounded(Text(org, "name")) is not { } orgName)
                    {
                        ignored.Add("a contact without a name (or with one over 200 characters)");
                        break;
                    }
                    var telecom = Array(org, "telecom").Take(10).ToList();
                    contacts.Add(new ContactSummary(named ?? partnerAgency, orgName, Telecom(telecom, "phone"), Telecom(telecom, "email")));
                    break;
                case "outcome":
                    // Notes on what the partner could not use of the query: informative, never an answer.
                    break;
                case "involvement":
                    if (Involvement(p, partnerAgency) is not { } involvement)
                    {
                        ignored.Add("an involvement without a service (up to 200 characters)");
                        break;
                    }
                    if (!speaksFor.Contains(involvement.Agency))
                    {
                        return (null, $"an involvement names agency '{Safe(involvement.Agency)}', which this partner may not answer for");
                    }
                    involvements.Add(involvement);
                    break;
                default:
                    ignored.Add($"parameter '{Safe(Text(p, "name"))}'");
                    break;
            }
        }
        if (match is null)
        {
            return (null, "the answer has no 'match' (valueBoolean)");
        }
        if (match == false && (contacts.Count > 0 || involvements.Count > 0))
        {
            return (null, "the answer says no match but names contacts or involvements");
        }
        return (new PersonAnswer(match.Value, contacts, involvements) { Ignored = ignored.Distinct(StringComparer.Ordinal).Take(10).ToList() }, null);
    }

    private static string? Telecom(List<JsonElement> telecom, string system) =>
        telecom.Where(t => Text(t, "system") == system).Select(t => Bounded(Text(t, "value"))).FirstOrDefault(v => v is not null);

    /// <summary>
    /// An involvement as far as it can be read: a service it must have; a status other than open or closed is "unknown", a date
    /// that does not parse is left out, and parts this hub does not know are passed over. Null when there is no service, or the
    /// agency named is not an agency code.
    /// </summary>
    private static InvolvementSummary? Involvement(JsonElement p, string partnerAgency)
    {
        var parts = Array(p, "part").Take(20).ToList();
        string? Part(string name, string value) => parts.Where(x => Text(x, "name") == name).Select(x => Text(x, value)).FirstOrDefault();
        var service = Bounded(Part("service", "valueString"));
        var status = Part("status", "valueCode") switch { "open" => "open", "closed" => "closed", _ => "unknown" };
        var period = parts.Where(x => Text(x, "name") == "period" && x.TryGetProperty("valuePeriod", out _)).Select(x => x.GetProperty("valuePeriod")).FirstOrDefault();
        DateTimeOffset? Date(string name)
        {
            var text = period.ValueKind == JsonValueKind.Object ? Text(period, name) : null;
            return text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        }
        if (service is null)
        {
            return null;
        }
        // The agency the partner names (checked against those it may answer for by the caller), else its own.
        var agency = Part("agency", "valueCode");
        if (agency is not null && (agency.Length > 32 || !Core.Agencies.AgencyCodes.IsWellFormed(agency)))
        {
            return null;
        }
        return new InvolvementSummary(agency ?? partnerAgency, service, status, Date("start"), Date("end"));
    }

    private static string? Bounded(string? text) => text is { Length: > 0 and <= MaxText } && !text.Any(char.IsControl) ? text : null;

    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    private static string Safe(string? text) => text is null ? "" : new string(text.Take(40).Where(c => !char.IsControl(c)).ToArray());
}
