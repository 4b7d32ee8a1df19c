using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.OData;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Writing;
using SharingHub.Server.Identity;

namespace SharingHub.Server.OData;

/// <summary>
/// OData writes of an agency's own People and Events: POST creates, PATCH (with If-Match) changes.
/// The same rules, sealing and indexing as FHIR writes; the body is read by the OData library against
/// the model, so an unknown property or a value of the wrong type is refused by name.
/// </summary>
internal sealed partial class ODataWrites(ODataModel model, IHubDbContextFactory contexts, RecordWriter records, PersonSealer people, IFieldCipher cipher,
    PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock, Writing.Kinds.KindWriter kinds, ChildAlerts alerts)
{
    private static readonly HashSet<string> ServerSet = ["id", "owningAgency", "createdAt", "updatedAt"];
    private static readonly HashSet<string> EventChanges = ["occurredAt", "category", "significance", "summary", "detail"];

    private sealed record Body(Dictionary<string, object?> Properties, List<Uri> Subjects);

    private sealed class Problems
    {
        public List<(string Target, string Message)> Items { get; } = [];

        public void Add(string target, string? message)
        {
            if (message is not null)
            {
                Items.Add((target, message));
            }
        }
    }

    public async Task<IResult> CreateAsync(HttpContext http, string setName)
    {
        try
        {
            var set = Writable(setName, 'c', http);
            var body = await ReadAsync(http, set);
            var owner = RecordOwner.Of(http.HubPrincipal());
            await using var db = contexts.Create();
            Record record;
            if (Writing.Kinds.KindWriter.ForOData(set.Name) is { } kind)
            {
                record = Written(kind, await kinds.CreateAsync(db, kind, owner, KindFields(kind, body), null, http.RequestAborted));
            }
            else
            {
                record = set.Name == ODataModel.Events ? await StageEventAsync(db, owner, body, http.RequestAborted) : StagePerson(db, owner, body);
                db.Add(record);
            }
            await SaveAsync(db, http.RequestAborted);
            audit.RecordWrite(RecordFacts.For(record), "create");
            var raised = await alerts.RaiseAsync(db, [record], audit, http.RequestAborted);
            var location = new Uri(ODataEndpoints.ServiceRoot(http), $"{set.Name}({record.Id})");
            http.Response.Headers.Location = location.ToString();
            http.Response.Headers["OData-EntityId"] = location.ToString();
            return await ODataPayload.CreatedAsync(model.Model, ODataEndpoints.ServiceRoot(http), set, Metadata(record), record.ETag, raised.Select(a => a.Words).ToList());
        }
        catch (ODataRefusal refusal)
        {
            return ODataPayload.Error(refusal);
        }
    }

    public async Task<IResult> UpdateAsync(HttpContext http, string entity)
    {
        try
        {
            var match = KeyPattern().Match(entity);
            if (!match.Success || !Guid.TryParse(match.Groups[2].Value, out var id))
            {
                throw new ODataRefusal(404, ODataErrors.NotFound, "address one entity to change, for example Events(<id>)");
            }
            var set = Writable(match.Groups[1].Value, 'u', http);
            var ifMatch = http.Request.Headers.IfMatch.FirstOrDefault()
                ?? throw new ODataRefusal(428, ODataErrors.PreconditionRequired, "a change needs If-Match with the ETag you last read (W/\"n\"), so no one's change is lost");
            if (!RecordWriter.TryVersion(ifMatch, out var expected))
            {
                throw ODataRefusal.Invalid("If-Match must be an ETag like W/\"3\"");
            }
            var body = await ReadAsync(http, set);
            var owner = RecordOwner.Of(http.HubPrincipal());
            await using var db = contexts.Create();
            if (Writing.Kinds.KindWriter.ForOData(set.Name) is { } kind)
            {
                var changed = Written(kind, await kinds.UpdateAsync(db, kind, owner, id, expected, KindFields(kind, body), partial: true, http.RequestAborted));
                await SaveAsync(db, http.RequestAborted);
                audit.RecordWrite(RecordFacts.For(changed), "update");
                http.Response.Headers.ETag = changed.ETag;
                return Results.NoContent();
            }
            // Only the owning organisation changes a record; to anyone else it is not there to change.
            Record? record = set.Name == ODataModel.Events
                ? await db.Events.Include(e => e.Subjects).FirstOrDefaultAsync(e => e.Id == id && e.OwningOrganisation == owner.Organisation, http.RequestAborted)
                : await db.People.Include(p => p.Identifiers).FirstOrDefaultAsync(p => p.Id == id && p.OwningOrganisation == owner.Organisation, http.RequestAborted);
            if (record is null)
            {
                throw new ODataRefusal(404, ODataErrors.NotFound, $"{set.Name}({id}) is not known");
            }
            if (record.Version != expected)
            {
                throw new ODataRefusal(412, ODataErrors.PreconditionFailed, $"{set.Name}({id}) is at {record.ETag}, not W/\"{expected}\": read it again and reapply your change");
            }
            db.RecordHistory.Add(Data.History.RecordSnapshots.Of(record));
            if (record is ChronologyEvent ev)
            {
                ChangeEvent(ev, body);
            }
            else
            {
                ChangePerson(db, (Person)record, body);
            }
            record.Version = expected + 1;
            record.UpdatedAt = clock.UtcNowForStorage();
            await SaveAsync(db, http.RequestAborted);
            audit.RecordWrite(RecordFacts.For(record), "update");
            http.Response.Headers.ETag = record.ETag;
            return Results.NoContent();
        }
        catch (ODataRefusal refusal)
        {
            return ODataPayload.Error(refusal);
        }
    }

    private ODataSet Writable(string setName, char permission, HttpContext http)
    {
        if ((setName is not (ODataModel.Events or ODataModel.People) && Writing.Kinds.KindWriter.ForOData(setName) is null) || !model.Sets.TryGetValue(setName, out var set))
        {
            throw new ODataRefusal(405, ODataErrors.NotSupported, $"{string.Join(", ", new[] { ODataModel.People, ODataModel.Events }.Concat(Writing.Kinds.KindWriter.Kinds.Select(k => k.ODataSet)))} "
                + "are written through OData; the case's steps through its actions (Enquiries(id)/SharingHub.*) and referrals through FHIR Task");
        }
        if (Access.SmartScopes.ScopeProblem(http, set.ScopeType, permission) is { } problem)
        {
            throw new ODataRefusal(403, ODataErrors.Forbidden, problem);
        }
        if (PurposeOfUse.ForWrite(http, policy, audit) is { } purposeProblem)
        {
            throw ODataQueryShape.PurposeRefusal(purposeProblem);
        }
        return set;
    }

    /// <summary>Reads one entity of the set with the OData library (size-limited, typed against the model), with any subjects@odata.bind links.</summary>
    private async Task<Body> ReadAsync(HttpContext http, ODataSet set)
    {
        if (http.Request.ContentType?.Split(';')[0].Trim() != "application/json")
        {
            throw new ODataRefusal(415, ODataErrors.InvalidBody, "send the entity as application/json");
        }
        var body = await Hosting.BoundedBody.ReadAsync(http.Request.Body, http.Request.ContentLength, Hosting.BoundedBody.MaxBytes, http.RequestAborted)
            ?? throw new ODataRefusal(413, ODataErrors.InvalidBody, $"the body is larger than the {Hosting.BoundedBody.MaxBytes} bytes accepted");
        if (Hosting.JsonBodies.CharsetProblem(http.Request.ContentType) is { } charset)
        {
            throw new ODataRefusal(415, ODataErrors.InvalidBody, charset);
        }
        // The OData reader is lenient where JSON must not be: checked strictly first.
        var (strict, invalid) = Hosting.JsonBodies.Parse(body);
        strict?.Dispose();
        if (invalid is not null)
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, invalid);
        }
        using var buffer = new MemoryStream(body, writable: false);
        var message = new RequestMessage(buffer, http.Request.ContentType!);
        var settings = new ODataMessageReaderSettings
        {
            BaseUri = ODataEndpoints.ServiceRoot(http),
            EnableMessageStreamDisposal = false,
            MessageQuotas = new ODataMessageQuotas { MaxReceivedMessageSize = Hosting.BoundedBody.MaxBytes, MaxNestingDepth = 8 },
        };
        try
        {
            using var reader = new ODataMessageReader((IODataRequestMessageAsync)message, settings, model.Model);
            var entries = await reader.CreateODataResourceReaderAsync(set.EdmSet, set.Type);
            ODataResource? top = null;
            var links = new List<Uri>();
            var depth = 0;
            // A collection of complex values (a household's members) is read as a list of property sets under its name.
            var parts = new Dictionary<string, List<Dictionary<string, object?>>>(StringComparer.Ordinal);
            string? within = null;
            while (await entries.ReadAsync())
            {
                switch (entries.State)
                {
                    case ODataReaderState.NestedResourceInfoStart:
                        within = ((ODataNestedResourceInfo)entries.Item).Name;
                        break;
                    case ODataReaderState.NestedResourceInfoEnd:
                        within = null;
                        break;
                    case ODataReaderState.ResourceStart:
                        if (++depth > 1 && (within is null || set.Type.FindProperty(within) is not Microsoft.OData.Edm.IEdmStructuralProperty || depth > 2))
                        {
                            throw ODataRefusal.NotSupported("related entities are linked with subjects@odata.bind, not written inside the entity");
                        }
                        break;
                    case ODataReaderState.ResourceEnd:
                        depth--;
                        if (depth >= 1 && within is not null)
                        {
                            var part = (ODataResource)entries.Item;
                            (parts.TryGetValue(within, out var list) ? list : parts[within] = []).Add(
                                part.Properties.OfType<ODataProperty>().ToDictionary(p => p.Name, p => (object?)p.Value, StringComparer.Ordinal));
                            break;
                        }
                        top = (ODataResource)entries.Item;
                        break;
                    case ODataReaderState.ResourceSetStart when within is not null:
                        parts.TryAdd(within, []);
                        break;
                    case ODataReaderState.EntityReferenceLink:
                        links.Add(((ODataEntityReferenceLink)entries.Item).Url);
                        break;
                    default:
                        break;
                }
            }
            var properties = (top?.Properties ?? []).OfType<ODataProperty>().ToDictionary(p => p.Name, p => (object?)p.Value, StringComparer.Ordinal);
            foreach (var (name, list) in parts)
            {
                properties[name] = list;
            }
            if (properties.Keys.FirstOrDefault(ServerSet.Contains) is { } fixedName)
            {
                throw new ODataRefusal(400, ODataErrors.InvalidBody, $"'{fixedName}' is set by the hub, not by the writer", fixedName);
            }
            return new Body(properties, links);
        }
        catch (Exception e) when (ReaderError(e) is { } odata)
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, odata.Message);
        }
        catch (UriFormatException)
        {
            // ODL reads an annotation's value as a URL without catching a bad one itself (found by the parser runs, issue 28).
            throw new ODataRefusal(400, ODataErrors.InvalidBody, "an annotation's value (such as @odata.bind) is not a valid URL");
        }
    }

    /// <summary>The OData reader's own account of a bad payload, wherever it sits in the chain (ODL 8 wraps the parser's error in it).</summary>
    private static ODataException? ReaderError(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is ODataException odata)
            {
                return odata;
            }
        }
        return null;
    }

    /// <summary>The fields of a kind from an OData body: only those its writer sets, named as the model names them.</summary>
    private static Writing.Kinds.KindFields KindFields(Writing.Kinds.WritableKind kind, Body body)
    {
        if (body.Subjects.Count > 0)
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, $"a {kind.ODataSet} record names its person with {kind.PersonField}, not a link");
        }
        if (body.Properties.Keys.FirstOrDefault(k => !kind.Fields.Contains(k)) is { } fixedName)
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, $"'{fixedName}' is set by the hub, not by the writer; a writer sets {string.Join(", ", kind.Fields)}", fixedName);
        }
        return new Writing.Kinds.KindFields(new Dictionary<string, object?>(body.Properties, StringComparer.Ordinal));
    }

    /// <summary>The record a kind's write staged, or its refusal in OData's terms.</summary>
    private static Record Written(Writing.Kinds.WritableKind kind, Writing.Kinds.KindOutcome outcome)
    {
        if (outcome.Record is { } record)
        {
            return record;
        }
        var (field, message) = outcome.Problems[0];
        var text = outcome.Problems.Count == 1 ? message
            : $"{message} (and {outcome.Problems.Count - 1} more: {string.Join("; ", outcome.Problems.Skip(1).Select(p => $"{p.Field}: {p.Message}"))})";
        throw outcome.Status switch
        {
            StatusCodes.Status404NotFound => new ODataRefusal(404, ODataErrors.NotFound, $"{kind.ODataSet}: {text}"),
            StatusCodes.Status412PreconditionFailed => new ODataRefusal(412, ODataErrors.PreconditionFailed, text),
            StatusCodes.Status409Conflict => new ODataRefusal(409, "Conflict", text, field),
            _ => new ODataRefusal(400, ODataErrors.InvalidBody, text, field),
        };
    }

    private async Task<ChronologyEvent> StageEventAsync(HubDbContext db, RecordOwner owner, Body body, CancellationToken ct)
    {
        var p = body.Properties;
        var problems = new Problems();
        var occurred = p.GetValueOrDefault("occurredAt") as DateTimeOffset?;
        problems.Add("occurredAt", occurred is null ? "occurredAt (date and time with a zone) is required" : null);
        var category = p.GetValueOrDefault("category") as string;
        problems.Add("category", RecordRules.Category(category));
        var significance = Significance.Medium;
        if (p.GetValueOrDefault("significance") is { } given && !TryEnum(given, out significance))
        {
            problems.Add("significance", "significance is low, medium, high or critical");
        }
        var summary = p.GetValueOrDefault("summary") as string;
        problems.Add("summary", RecordRules.Summary(summary));
        var detail = p.GetValueOrDefault("detail") as string;
        problems.Add("detail", RecordRules.Detail(detail));
        var dataClass = p.GetValueOrDefault("dataClass") as string;
        problems.Add("dataClass", RecordRules.DataClass(policy.Policy, owner.Agency, dataClass));
        var reference = p.GetValueOrDefault("sourceReference") as string;
        problems.Add("sourceReference", RecordRules.SourceReference(reference));
        var subjects = new List<Guid>();
        foreach (var link in body.Subjects)
        {
            var text = link.OriginalString;
            var last = Uri.UnescapeDataString(text[(text.LastIndexOf('/') + 1)..]);
            var id = KeyPattern().Match(last) is { Success: true } m && m.Groups[1].Value == ODataModel.People && Guid.TryParse(m.Groups[2].Value, out var g) ? g : (Guid?)null;
            if (id is null || !await RecordWriter.OwnsPersonAsync(db, owner, id.Value, ct))
            {
                problems.Add("subjects", $"'{(last.Length > 60 ? last[..60] : last)}' is not a person your organisation holds: an event is recorded against your own record of the person");
                continue;
            }
            subjects.Add(id.Value);
        }
        problems.Add("subjects", body.Subjects.Count == 0 ? "name the people the event is about: \"subjects@odata.bind\": [\"People(<id>)\"]" : null);
        Refuse(problems);
        if (reference is not null && await RecordWriter.HasReferenceAsync(db, owner, reference, ct))
        {
            throw new ODataRefusal(409, "Conflict", $"your organisation already has an event with sourceReference '{reference}'", "sourceReference");
        }
        var draft = new EventDraft([], category!, significance, TimeProviderExtensions.TruncateForStorage(occurred!.Value), summary!, detail, dataClass!, reference);
        return records.NewEvent(owner, draft, subjects);
    }

    private void ChangeEvent(ChronologyEvent ev, Body body)
    {
        var p = body.Properties;
        if (p.Keys.FirstOrDefault(k => !EventChanges.Contains(k)) is { } fixedName)
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, $"'{fixedName}' cannot be changed; change {string.Join(", ", EventChanges)}", fixedName);
        }
        if (body.Subjects.Count > 0)
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, "an event's subjects cannot be changed; record a new event", "subjects");
        }
        var problems = new Problems();
        if (p.TryGetValue("occurredAt", out var occurred))
        {
            if (occurred is DateTimeOffset at)
            {
                ev.OccurredAt = TimeProviderExtensions.TruncateForStorage(at);
            }
            else
            {
                problems.Add("occurredAt", "occurredAt is a date and time with a zone");
            }
        }
        if (p.TryGetValue("category", out var category))
        {
            problems.Add("category", RecordRules.Category(category as string));
            ev.Category = category as string ?? ev.Category;
        }
        if (p.TryGetValue("significance", out var significance))
        {
            if (significance is not null && TryEnum(significance, out Significance level))
            {
                ev.Significance = level;
            }
            else
            {
                problems.Add("significance", "significance is low, medium, high or critical");
            }
        }
        var summary = p.TryGetValue("summary", out var s) ? s as string : null;
        var detail = p.TryGetValue("detail", out var d) ? d as string : null;
        if (p.ContainsKey("summary") || p.ContainsKey("detail"))
        {
            problems.Add("summary", p.ContainsKey("summary") ? RecordRules.Summary(summary) : null);
            problems.Add("detail", RecordRules.Detail(detail));
            Refuse(problems);
            // Both sealed fields are written afresh: an unchanged one is carried over from its stored value.
            var unchanged = OpenText(ev);
            if (unchanged is null)
            {
                throw new ODataRefusal(409, "KeyUnavailable", "the event's key is unavailable, so its text cannot be changed; nothing was changed");
            }
            records.Reseal(ev, p.ContainsKey("summary") ? summary! : unchanged.Value.Summary, p.ContainsKey("detail") ? detail : unchanged.Value.Detail);
        }
        Refuse(problems);
    }

    /// <summary>The event's stored summary and detail, read by its owner to carry an unchanged one over; null if a key is unavailable.</summary>
    private (string Summary, string? Detail)? OpenText(ChronologyEvent ev)
    {
        var summary = cipher.Decrypt(ev.Summary, SensitiveFields.For(ev, nameof(ChronologyEvent.Summary)));
        var detail = ev.Detail is null ? (FieldPlaintext?)null : cipher.Decrypt(ev.Detail, SensitiveFields.For(ev, nameof(ChronologyEvent.Detail)));
        return summary.IsAvailable && (detail is null || detail.Value.IsAvailable) ? (summary.Value!, detail?.Value) : null;
    }

    private Person StagePerson(HubDbContext db, RecordOwner owner, Body body) => records.StagePerson(db, owner, PersonDetails(body, null));

    private void ChangePerson(HubDbContext db, Person person, Body body)
    {
        var current = people.Open(person) ?? throw new ODataRefusal(409, "KeyUnavailable", "the person's key is unavailable, so the change cannot be merged; nothing was changed");
        db.PersonIdentifiers.RemoveRange(person.Identifiers);
        people.Seal(person, PersonDetails(body, current));
        db.PersonIdentifiers.AddRange(person.Identifiers);
    }

    /// <summary>A person's details from a body: every field for a new person, or the fields given merged over the current ones.</summary>
    private PersonDetails PersonDetails(Body body, PersonDetails? current)
    {
        var p = body.Properties;
        if (body.Subjects.Count > 0 || p.ContainsKey("kind") || p.ContainsKey("dataClass"))
        {
            throw new ODataRefusal(400, ODataErrors.InvalidBody, "a person's kind follows from the date of birth, and people are always person.demographics");
        }
        string? Text(string name, string? now) => p.TryGetValue(name, out var v) ? v as string : now;
        var problems = new Problems();
        var given = Text("givenName", current?.GivenName);
        var family = Text("familyName", current?.FamilyName);
        problems.Add("givenName", RecordRules.Name(given, "given"));
        problems.Add("familyName", RecordRules.Name(family, "family"));
        // An unborn child has an expected date of delivery instead; giving the date of birth records the birth.
        var unborn = p.ContainsKey("expectedDeliveryDate") || (current?.Kind == PersonKind.Unborn && !p.ContainsKey("birthDate"));
        problems.Add("expectedDeliveryDate", p.ContainsKey("expectedDeliveryDate") && p.ContainsKey("birthDate") ? "give a date of birth or, for an unborn child, an expected date of delivery, not both" : null);
        var dateField = unborn ? "expectedDeliveryDate" : "birthDate";
        var birth = p.TryGetValue(dateField, out var b) ? ODataDates.TryDay(b, out var date) ? date : (DateOnly?)null
            : current is { Kind: var was } && (was == PersonKind.Unborn) == unborn ? current.BirthDate : null;
        problems.Add(dateField, birth is null ? $"a full {(unborn ? "expected date of delivery" : "date of birth")} is required"
            : unborn ? RecordRules.ExpectedDelivery(birth.Value, clock.GetUtcNow()) : RecordRules.BirthDate(birth.Value, clock.GetUtcNow()));
        var sex = Text("sex", current?.Sex);
        problems.Add("sex", RecordRules.Gender(sex));
        var address = Text("address", current?.Address);
        problems.Add("address", RecordRules.Address(address));
        var confidential = current?.AddressConfidential ?? false;
        if (p.TryGetValue("addressConfidential", out var mark))
        {
            problems.Add("addressConfidential", mark is bool ? null : "addressConfidential is true or false");
            confidential = mark is true;
        }
        var identifiers = (current?.Identifiers ?? []).ToDictionary(i => i.Kind, i => i.Value);
        foreach (var kind in Enum.GetValues<IdentifierKind>())
        {
            var name = model.Sets[ODataModel.People].Fields.Values.FirstOrDefault(f => ODataModel.IdentifierKindOf(f.Name) == kind)?.Name;
            if (name is null || !p.TryGetValue(name, out var value))
            {
                continue;
            }
            if (value is null)
            {
                identifiers.Remove(kind);
                continue;
            }
            problems.Add(name, RecordRules.Identifier(kind, value as string));
            identifiers[kind] = (string)value;
        }
        problems.Add("identifiers", identifiers.Count == 0 ? "at least one agency identifier (nhsNumber, upn, pncId, crn or laPersonId) is required" : null);
        Refuse(problems);
        return new PersonDetails(unborn ? PersonKind.Unborn : RecordRules.KindOn(birth!.Value, clock.GetUtcNow()), given!.Trim(), family!.Trim(), birth!.Value, sex, address?.Trim(),
            identifiers.Select(i => (i.Key, i.Value)).ToList(), confidential);
    }

    private static void Refuse(Problems problems)
    {
        if (problems.Items.Count > 0)
        {
            var (target, message) = problems.Items[0];
            throw new ODataRefusal(400, ODataErrors.InvalidBody, problems.Items.Count == 1 ? message : $"{message} (and {problems.Items.Count - 1} more: "
                + string.Join("; ", problems.Items.Skip(1).Select(i => $"{i.Target}: {i.Message}")) + ")", target);
        }
    }

    private async Task SaveAsync(HubDbContext db, CancellationToken ct)
    {
        switch (await records.SaveChangesAsync(db, ct))
        {
            case SaveConflict.Stale:
                throw new ODataRefusal(412, ODataErrors.PreconditionFailed, RecordWriter.StaleMessage);
            case SaveConflict.Duplicate:
                throw new ODataRefusal(409, "Conflict", RecordWriter.ConflictMessage);
            default:
                break;
        }
    }

    private static bool TryEnum<TEnum>(object value, out TEnum result)
        where TEnum : struct, Enum
    {
        var text = value is ODataEnumValue e ? e.Value : value as string;
        result = default;
        return text is not null && !text.Any(char.IsDigit) && Enum.TryParse(text, ignoreCase: true, out result);
    }

    private static List<ODataProperty> Metadata(Record record) =>
    [
        new() { Name = "id", Value = record.Id },
        new() { Name = "owningAgency", Value = record.OwningAgency },
        new() { Name = "owningOrganisation", Value = record.OwningOrganisation },
        new() { Name = "dataClass", Value = record.DataClass },
        new() { Name = "createdAt", Value = record.CreatedAt },
        new() { Name = "updatedAt", Value = record.UpdatedAt },
    ];

    [GeneratedRegex(@"^(People|Events|[A-Za-z]+)\(([0-9a-fA-F-]{36})\)$")]
    private static partial Regex KeyPattern();

    private sealed class RequestMessage(Stream stream, string contentType) : IODataRequestMessageAsync
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = contentType };

        public IEnumerable<KeyValuePair<string, string>> Headers => _headers;

        public Uri Url { get; set; } = new("http://localhost/");

        public string Method { get; set; } = "POST";

        public string? GetHeader(string headerName) => _headers.TryGetValue(headerName, out var value) ? value : null;

        public void SetHeader(string headerName, string headerValue) => _headers[headerName] = headerValue;

        public Stream GetStream() => stream;

        public Task<Stream> GetStreamAsync() => Task.FromResult(stream);
    }
}
