using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.OData.Edm;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Workflow;

namespace SharingHub.Server.OData;

/// <summary>
/// The journey's steps as OData actions bound to a case: <c>POST /odata/Enquiries(id)/SharingHub.recordConference</c> and its
/// siblings, declared in $metadata with their parameters. Each is another way into the workflow's own handler (the same one
/// <c>/enquiries/{id}/...</c>, FHIR and the case page call), so a step is decided, checked, stored and audited once, one way.
/// Parameters are the workflow's JSON, read strictly: an unknown name or a value of the wrong type is refused by name.
/// </summary>
internal static partial class ODataJourneyActions
{
    public const string DecideStrategyDiscussion = "decideStrategyDiscussion";
    public const string RecordStrategyMeeting = "recordStrategyMeeting";
    public const string RecordEmergencyAction = "recordEmergencyAction";
    public const string RecordConference = "recordConference";
    public const string RecordCoreGroupMeeting = "recordCoreGroupMeeting";
    public const string RecordPreProceedings = "recordPreProceedings";
    public const string RecordFgdm = "recordFgdm";
    public const string HandOverLead = "handOverLead";
    public const string ConveneStrategyDiscussion = "conveneStrategyDiscussion";

    private static readonly JsonSerializerOptions Parameters = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        PropertyNameCaseInsensitive = false,
    };

    /// <summary>Declares the actions, bound to an Enquiry, with the complex types their parameters take.</summary>
    public static void Declare(EdmModel model, EdmEntityType enquiry, IEdmComplexType attendance)
    {
        IEdmTypeReference Text(bool nullable = true) => EdmCoreModel.Instance.GetString(nullable);
        IEdmTypeReference Instant(bool nullable = true) => EdmCoreModel.Instance.GetDateTimeOffset(nullable);
        IEdmTypeReference Many(IEdmComplexType type) => new EdmCollectionTypeReference(new EdmCollectionType(new EdmComplexTypeReference(type, false)));
        var professional = new EdmComplexType(ODataModel.Namespace, "Professional");
        professional.AddStructuralProperty("agency", EdmPrimitiveTypeKind.String, false);
        professional.AddStructuralProperty("user", EdmPrimitiveTypeKind.String, false);
        professional.AddStructuralProperty("role", EdmPrimitiveTypeKind.String, false);
        model.AddElement(professional);
        var contribution = new EdmComplexType(ODataModel.Namespace, "Contribution");
        contribution.AddStructuralProperty("agency", EdmPrimitiveTypeKind.String, false);
        contribution.AddStructuralProperty("summary", EdmPrimitiveTypeKind.String, false);
        model.AddElement(contribution);
        void Action(string name, params (string Name, IEdmTypeReference Type)[] parameters)
        {
            var action = new EdmAction(ODataModel.Namespace, name, null, isBound: true, entitySetPathExpression: null);
            action.AddParameter("case", new EdmEntityTypeReference(enquiry, false));
            foreach (var (parameter, type) in parameters)
            {
                action.AddParameter(parameter, type);
            }
            model.AddElement(action);
        }
        Action(DecideStrategyDiscussion, ("decision", Text(false)), ("reasons", Text()));
        Action(RecordStrategyMeeting, ("heldAt", Instant(false)), ("attendees", Many(professional)), ("contributions", Many(contribution)), ("decisions", Text()));
        Action(RecordEmergencyAction, ("kind", Text(false)), ("startedAt", Instant(false)), ("endsAt", Instant()), ("agency", Text(false)), ("user", Text(false)));
        Action(RecordConference, ("kind", Text(false)), ("heldAt", Instant(false)), ("attendance", Many(attendance)), ("decision", Text(false)), ("category", Text()),
            ("coreGroup", Many(professional)));
        Action(RecordCoreGroupMeeting, ("heldAt", Instant(false)));
        Action(RecordPreProceedings, ("at", Instant(false)), ("fgdm", Text(false)));
        Action(RecordFgdm, ("decisionPoint", Text(false)), ("status", Text(false)));
        Action(HandOverLead, ("user", Text(false)), ("stayMember", EdmCoreModel.Instance.GetBoolean(true)));
        // Convening is bound to the set: it makes the case, whose id is in the answer's Location.
        var subject = new EdmComplexType(ODataModel.Namespace, "CaseSubject");
        subject.AddStructuralProperty("person", EdmPrimitiveTypeKind.Guid, false);
        subject.AddStructuralProperty("role", EdmPrimitiveTypeKind.String, false);
        model.AddElement(subject);
        var convene = new EdmAction(ODataModel.Namespace, ConveneStrategyDiscussion, null, isBound: true, entitySetPathExpression: null);
        convene.AddParameter("cases", new EdmCollectionTypeReference(new EdmCollectionType(new EdmEntityTypeReference(enquiry, false))));
        convene.AddParameter("subjects", Many(subject));
        convene.AddParameter("grounds", Text(false));
        convene.AddParameter("members", Many(professional));
        convene.AddParameter("referral", EdmCoreModel.Instance.GetGuid(true));
        model.AddElement(convene);
    }

    public static IEndpointRouteBuilder MapODataJourneyActions(this RouteGroupBuilder odata)
    {
        odata.MapPost($"/{ODataModel.Enquiries}/{ODataModel.Namespace}.{ConveneStrategyDiscussion}", ConveneAsync).Audited("odata.action").Takes(HubActions.EnquiryOpen);
        odata.MapPost("/{entity}/{action}", InvokeAsync).Audited("odata.action").Takes(HubActions.EnquiryLead);
        return odata;
    }

    /// <summary>The council's LCPP convenes a strategy discussion: the same handler as <c>POST /strategy-discussions</c>.</summary>
    private static async Task<IResult> ConveneAsync(HttpContext http, IRecordStore store, IHubDbContextFactory contexts, IFieldCipher cipher, PolicyDecisionPoint policy,
        AuditScope audit, TimeProvider clock, WorkingCalendar calendar, Data.Linkage.PersonLinker linker)
    {
        var (body, refusal) = await BodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }
        try
        {
            var result = await EnquiryEndpoints.OpenCaseAsync(Read<OpenEnquiryInput>(body!), CaseStage.StrategyDiscussion, http, store, contexts, cipher, policy, audit, clock, calendar, linker);
            if (result is IValueHttpResult<EnquiryOpened> { Value: { } opened })
            {
                var location = new Uri(ODataEndpoints.ServiceRoot(http), $"{ODataModel.Enquiries}({opened.Id})").ToString();
                http.Response.Headers.Location = location;
                http.Response.Headers["OData-EntityId"] = location;
            }
            return Answer(http, result);
        }
        catch (JsonException e)
        {
            return Unfit(ConveneStrategyDiscussion, e);
        }
    }

    private static async Task<IResult> InvokeAsync(string entity, string action, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox, PolicyDecisionPoint policy, WorkingCalendar calendar, IHubDbContextFactory contexts, IFieldCipher cipher)
    {
        if (CasePattern().Match(entity) is not { Success: true } key || !Guid.TryParse(key.Groups[1].Value, out var id))
        {
            return ODataPayload.Error(404, ODataErrors.NotFound, "actions are bound to one case: POST /odata/Enquiries(<id>)/SharingHub.<action>");
        }
        var name = action.StartsWith(ODataModel.Namespace + ".", StringComparison.Ordinal) ? action[(ODataModel.Namespace.Length + 1)..] : null;
        if (name is not (DecideStrategyDiscussion or RecordStrategyMeeting or RecordEmergencyAction or RecordConference or RecordCoreGroupMeeting
            or RecordPreProceedings or RecordFgdm or HandOverLead))
        {
            return ODataPayload.Error(404, ODataErrors.NotFound, $"no action '{Safe(action)}' on a case; $metadata lists them (SharingHub.{RecordConference} and others)");
        }
        var (body, refusal) = await BodyAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }
        try
        {
            var result = name switch
            {
                DecideStrategyDiscussion => await StrategyDiscussionEndpoints.DecideAsync(id, Read<StrategyDecisionInput>(body!), http, store, cipher, audit, clock, outbox, calendar),
                RecordStrategyMeeting => await StrategyMeetingEndpoints.RecordAsync(id, Read<StrategyMeetingInput>(body!), http, store, cipher, policy, audit, clock),
                RecordEmergencyAction => await EmergencyActionEndpoints.RecordAsync(id, Read<EmergencyActionInput>(body!), http, store, audit, clock, outbox, policy),
                RecordConference => await ConferenceEndpoints.RecordAsync(id, Read<ConferenceInput>(body!), http, store, audit, clock, outbox, policy, calendar, contexts, cipher),
                RecordCoreGroupMeeting => await ConferenceEndpoints.RecordCoreGroupAsync(id, Read<CoreGroupMeetingInput>(body!), http, store, audit, clock, outbox),
                RecordPreProceedings => await ConferenceEndpoints.RecordPreProceedingsAsync(id, Read<PreProceedingsInput>(body!), http, store, audit, clock, outbox),
                HandOverLead => await LeadEndpoints.HandOverAsync(id, Read<HandOverInput>(body!), http, store, audit, clock, outbox, contexts),
                _ => await StrategyMeetingEndpoints.RecordFgdmAsync(id, Read<FgdmInput>(body!), http, store, audit, clock, outbox),
            };
            return Answer(http, result);
        }
        catch (JsonException e)
        {
            return Unfit(name, e);
        }
    }

    private static IResult Unfit(string action, JsonException e)
    {
        var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
        return ODataPayload.Error(400, ODataErrors.InvalidBody, $"the parameters do not fit SharingHub.{action}{where}: each is named in $metadata, with its type");
    }

    /// <summary>The action's parameters as JSON, size-limited and strictly parsed; or the refusal.</summary>
    private static async Task<(byte[]? Body, IResult? Refusal)> BodyAsync(HttpContext http)
    {
        if (http.Request.ContentType?.Split(';')[0].Trim() != "application/json")
        {
            return (null, ODataPayload.Error(415, ODataErrors.InvalidBody, "send the action's parameters as application/json"));
        }
        var body = await Hosting.BoundedBody.ReadAsync(http.Request.Body, http.Request.ContentLength, Hosting.BoundedBody.MaxBytes, http.RequestAborted);
        if (body is null)
        {
            return (null, ODataPayload.Error(413, ODataErrors.InvalidBody, $"the body is larger than the {Hosting.BoundedBody.MaxBytes} bytes accepted"));
        }
        var (strict, invalid) = Hosting.JsonBodies.Parse(body);
        strict?.Dispose();
        return invalid is not null ? (null, ODataPayload.Error(400, ODataErrors.InvalidBody, invalid)) : (body, null);
    }

    private static T Read<T>(byte[] body) => JsonSerializer.Deserialize<T>(body, Parameters) ?? throw new JsonException("the parameters are an object");

    /// <summary>The handler's answer in OData's terms: 204 when done (a new strategy meeting's address in Location), or the refusal as OData error JSON.</summary>
    private static IResult Answer(HttpContext http, IResult result)
    {
        var answer = WorkflowAnswer.Of(result);
        if (answer.Succeeded)
        {
            if (result is IValueHttpResult<StrategyMeetingRecorded> { Value: { } meeting })
            {
                var location = new Uri(ODataEndpoints.ServiceRoot(http), $"{ODataModel.StrategyMeetings}({meeting.Id})").ToString();
                http.Response.Headers.Location = location;
                http.Response.Headers["OData-EntityId"] = location;
            }
            http.Response.Headers["OData-Version"] = "4.0";
            return Results.NoContent();
        }
        var errorCode = answer.Status switch
        {
            404 => ODataErrors.NotFound,
            409 => "Conflict",
            403 => ODataErrors.Forbidden,
            _ => ODataErrors.InvalidBody,
        };
        return answer.Errors.Count > 0
            ? ODataPayload.Error(answer.Status, errorCode, string.Join("; ", answer.Errors.Select(e => e.Message)), answer.Errors[0].Field)
            : ODataPayload.Error(answer.Status, errorCode, answer.Detail ?? "the step was not recorded");
    }

    private static string Safe(string text) => text.Length > 60 ? text[..60] + "..." : text;

    [GeneratedRegex(@"^Enquiries\(([0-9a-fA-F-]{36})\)$")]
    private static partial Regex CasePattern();
}
