using System.Text.Json;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Server.Fhir;

namespace SharingHub.Server.Writing.Kinds;

/// <summary>
/// Consent as a family gives it, recorded by the agency that sought it: FHIR <c>Consent</c>, OData <c>Consents</c>. For a person
/// (given by them, or by someone with parental responsibility as the grantor), to share with named agencies, for purposes, for a
/// period; permit or refusal. Data classes may narrow it; none named covers what the rules allow for the purpose. Withdrawn, it
/// stops at its moment (withdrawnAt): reads decided after it no longer rely on it.
/// </summary>
internal sealed class ConsentKind : WritableKind<Consent>
{
    public const string DataClassCode = "consent";
    private const string Recipient = "IRCP";
    private static readonly HashSet<string> Elements = ["resourceType", "id", "meta", "text", "extension", "identifier", "status", "scope", "category", "patient", "dateTime", "performer",
        "organization", "policy", "policyRule", "provision"];

    public override string FhirType => FhirTypes.Consent;
    public override string ODataSet => OData.ODataModel.Consents;
    public override string PersonField => "subjectPersonId";
    public override IReadOnlyList<string> PersonFields => ["subjectPersonId", "grantorPersonId"];
    public override IReadOnlyList<string> Fields { get; } = ["subjectPersonId", "grantorPersonId", "grantor", "decision", "status", "recipientAgencies", "purposes", "dataClasses",
        "periodStart", "periodEnd", "withdrawnAt", "notSoughtReason", "sourceReference"];

    public override string FhirPath(string field) => field switch
    {
        "subjectPersonId" => "Consent.patient",
        "grantorPersonId" or "grantor" => "Consent.performer",
        "decision" => "Consent.provision.type",
        "status" => "Consent.status",
        "recipientAgencies" => "Consent.provision.actor",
        "purposes" => "Consent.provision.purpose",
        "dataClasses" => "Consent.provision.securityLabel",
        "periodStart" => "Consent.provision.period.start",
        "periodEnd" or "withdrawnAt" => "Consent.provision.period.end",
        "notSoughtReason" => "Consent.extension",
        "sourceReference" => "Consent.identifier",
        _ => "Consent",
    };

    public override KindFields FromFhir(JsonElement root, string sourceSystem, Func<string, Guid?> patient, Action<string, string> error)
    {
        FhirFields.Unsupported(root, "Consent", Elements, error);
        var provision = root.TryGetProperty("provision", out var p) ? p : default;
        var period = provision.ValueKind == JsonValueKind.Object && provision.TryGetProperty("period", out var pp) ? pp : default;
        var end = FhirFields.Instant(FhirFields.Text(period, "end"));
        var status = FhirFields.Text(root, "status");
        if (status is not ("active" or "inactive"))
        {
            error("Consent.status", "status is active, or inactive for a consent withdrawn (withdrawn at provision.period.end, or now)");
        }
        var rule = FhirFields.Coded(root, "policyRule", "http://terminology.hl7.org/CodeSystem/v3-ActCode");
        var type = FhirFields.Text(provision, "type");
        // Not sought because seeking it would place the child at risk: no provision type, the reason as an extension.
        var notSought = FhirFields.Extension(root, FhirSystems.ConsentNotSought, "valueString");
        if (notSought is not null && (type is not null || rule is not null))
        {
            error("Consent.extension", "consent not sought has no provision.type or policyRule: it records why consent was not sought, not an agreement");
        }
        else if (notSought is null && rule is not null && (rule == "OPTIN") != (type == "permit"))
        {
            error("Consent.policyRule", "policyRule OPTIN goes with provision.type permit, OPTOUT with deny");
        }
        var subject = root.TryGetProperty("patient", out var s) ? patient(FhirFields.Text(s, "reference") ?? "") : null;
        var performer = FhirFields.Array(root, "performer").Select(x => FhirFields.Text(x, "reference")).FirstOrDefault();
        Guid? grantor = performer is null ? null : patient(performer);
        if (performer is not null && grantor is null)
        {
            error("Consent.performer", "the grantor is a Patient: the person with parental responsibility who gave it (leave it out when the person gave it themselves)");
        }
        var recipients = new List<string>();
        foreach (var actor in FhirFields.Array(provision, "actor"))
        {
            var id = actor.TryGetProperty("reference", out var r) && r.TryGetProperty("identifier", out var i) ? i : default;
            var system = FhirFields.Text(id, "system");
            var agency = system is FhirSystems.Agency || (system is FhirSystems.ConsentRecipient && FhirFields.Text(id, "value") == Consent.TeamAroundFamily)
                ? FhirFields.Text(id, "value") : null;
            if (agency is null || FhirFields.Coded(actor, "role", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType") != Recipient)
            {
                error("Consent.provision.actor", $"each actor is an information recipient (role {Recipient}) naming an agency (reference.identifier {FhirSystems.Agency}) "
                    + $"or the team around the family ({FhirSystems.ConsentRecipient} {Consent.TeamAroundFamily})");
                continue;
            }
            recipients.Add(agency);
        }
        return new KindFields(new()
        {
            ["subjectPersonId"] = subject,
            ["grantorPersonId"] = grantor is { } g && g != subject ? g : null,
            ["grantor"] = grantor is { } given && given != subject ? "parentalResponsibility" : "self",
            ["decision"] = notSought is not null ? "notSought" : type,
            ["notSoughtReason"] = notSought,
            ["status"] = status == "inactive" ? "withdrawn" : "active",
            ["recipientAgencies"] = recipients,
            ["purposes"] = FhirFields.Array(provision, "purpose").Where(c => FhirFields.Text(c, "system") == FhirSystems.Purpose).Select(c => FhirFields.Text(c, "code")).OfType<string>().ToList(),
            ["dataClasses"] = FhirFields.Array(provision, "securityLabel").Where(c => FhirFields.Text(c, "system") == FhirSystems.DataClass).Select(c => FhirFields.Text(c, "code")).OfType<string>().ToList(),
            ["periodStart"] = FhirFields.Instant(FhirFields.Text(period, "start")),
            // FHIR has one end: the period's, or the moment of withdrawal for an inactive consent.
            [status == "inactive" ? "withdrawnAt" : "periodEnd"] = end,
            ["sourceReference"] = FhirFields.SourceReference(root, "Consent", sourceSystem, error),
        });
    }

    protected override void Apply(Consent c, KindFields f, KindContext context, KindProblems problems)
    {
        var decision = f.Text("decision") switch
        {
            "permit" => ConsentDecision.Permit,
            "deny" => ConsentDecision.Deny,
            "notSought" => ConsentDecision.NotSought,
            _ => (ConsentDecision?)null,
        };
        problems.Add("decision", decision is null ? "decision is permit (consent given), deny (refused) or notSought (not sought, because seeking it would place the child at risk)" : null);
        var reason = Text(f, "notSoughtReason", RecordRules.MaxDetail, problems, required: decision == ConsentDecision.NotSought);
        problems.Add("notSoughtReason", decision is not (null or ConsentDecision.NotSought) && reason is not null ? "a reason consent was not sought goes only with decision notSought" : null);
        var status = f.Text("status") switch
        {
            "active" or null => ConsentStatus.Active,
            "withdrawn" => ConsentStatus.Withdrawn,
            _ => (ConsentStatus?)null,
        };
        problems.Add("status", status is null ? "status is active or withdrawn" : null);
        var grantor = f.Text("grantor") switch
        {
            "self" or null => ConsentGrantor.Self,
            "parentalResponsibility" => ConsentGrantor.ParentalResponsibility,
            _ => (ConsentGrantor?)null,
        };
        problems.Add("grantor", grantor is null ? "grantor is self or parentalResponsibility" : null);
        problems.Add("grantorPersonId", grantor == ConsentGrantor.ParentalResponsibility && f.Id("grantorPersonId") is null
            ? "a consent given by someone with parental responsibility names them (grantorPersonId, your record of them)" : null);
        var recipients = Codes(f, "recipientAgencies", context.Policy.Agencies.Keys.Append(Consent.TeamAroundFamily), "agencies (or team-around-family)", problems);
        problems.Add("recipientAgencies", recipients is { Count: 0 } ? $"name the agencies it lets receive the records (at least one), or {Consent.TeamAroundFamily}" : null);
        var purposes = Codes(f, "purposes", context.Policy.Purposes.Keys, "purposes of use", problems);
        problems.Add("purposes", purposes is { Count: 0 } ? "name the purposes it covers (at least one)" : null);
        var classes = Codes(f, "dataClasses", context.Policy.DataClasses.Keys, "data classes", problems);
        var (start, end) = Period(f, "periodStart", "periodEnd", problems);
        var withdrawn = f.Instant("withdrawnAt");
        problems.Add("withdrawnAt", f.Values.GetValueOrDefault("withdrawnAt") is not (null or DateTimeOffset) ? "withdrawnAt is a date and time with a zone"
            : withdrawn is { } w && w < start ? "withdrawnAt is before the consent's start" : null);
        var reference = f.Text("sourceReference");
        problems.Add("sourceReference", RecordRules.SourceReference(reference));
        if (problems.Items.Count > 0)
        {
            return;
        }
        c.DataClass = DataClassCode;
        c.SubjectPersonId = f.Id("subjectPersonId")!.Value;
        c.Grantor = grantor!.Value;
        c.GrantorPersonId = grantor == ConsentGrantor.ParentalResponsibility ? f.Id("grantorPersonId") : null;
        c.Decision = decision!.Value;
        c.RecipientAgencies = recipients!;
        c.Purposes = purposes!;
        c.DataClasses = classes!;
        c.PeriodStart = start;
        c.PeriodEnd = end;
        c.SourceReference = reference;
        c.NotSoughtReason = Seal(context.Cipher, c, nameof(Consent.NotSoughtReason), reason);
        // Withdrawal takes effect at its moment (now, when the writer gives none) and is never undone: a new consent is a new record.
        if (status == ConsentStatus.Withdrawn || c.Status == ConsentStatus.Withdrawn)
        {
            c.WithdrawnAt = c.WithdrawnAt ?? (withdrawn is { } at ? Core.Time.TimeProviderExtensions.TruncateForStorage(at) : context.Now);
            c.Status = ConsentStatus.Withdrawn;
        }
        else
        {
            c.Status = ConsentStatus.Active;
        }
    }

    private static List<string>? Codes(KindFields f, string field, IEnumerable<string> known, string what, KindProblems problems)
    {
        var codes = f.Strings(field);
        if (codes is null)
        {
            problems.Add(field, $"{field} is a list of {what}");
            return null;
        }
        var unknown = codes.Where(c => !known.Contains(c, StringComparer.Ordinal)).ToList();
        problems.Add(field, unknown.Count > 0 ? $"{string.Join(", ", unknown.Select(u => $"'{SearchParameters.Safe(u)}'"))} is not one of the {what} in the policy" : null);
        return codes.Distinct(StringComparer.Ordinal).ToList();
    }

    protected override KindFields? Current(Consent c, IFieldCipher cipher)
    {
        var reason = Open(cipher, c, nameof(Consent.NotSoughtReason), c.NotSoughtReason, out var unavailable);
        return unavailable ? null : AsFields(c, reason);
    }

    private static KindFields AsFields(Consent c, string? reason) => new(new()
    {
        ["subjectPersonId"] = c.SubjectPersonId, ["grantorPersonId"] = c.GrantorPersonId, ["notSoughtReason"] = reason,
        ["grantor"] = c.Grantor == ConsentGrantor.Self ? "self" : "parentalResponsibility",
        ["decision"] = c.Decision switch { ConsentDecision.Permit => "permit", ConsentDecision.Deny => "deny", _ => "notSought" },
        ["status"] = c.Status == ConsentStatus.Active ? "active" : "withdrawn", ["recipientAgencies"] = c.RecipientAgencies, ["purposes"] = c.Purposes,
        ["dataClasses"] = c.DataClasses, ["periodStart"] = c.PeriodStart, ["periodEnd"] = c.PeriodEnd, ["withdrawnAt"] = c.WithdrawnAt, ["sourceReference"] = c.SourceReference,
    });
}
