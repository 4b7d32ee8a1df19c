using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record AttendanceInput(string? Agency, bool Attended, bool Report);

internal sealed record ConferenceInput(string? Kind, DateTimeOffset? HeldAt, IReadOnlyList<AttendanceInput>? Attendance, string? Decision, string? Category = null,
    IReadOnlyList<MemberInput>? CoreGroup = null);

internal sealed record PreProceedingsInput(DateTimeOffset? At, string? Fgdm);

/// <summary>
/// Child protection conferences and the plan they make (Working Together 2023, 4.2-4.4). The initial conference follows an
/// enquiry that found grounds for one: the enquiry's members keep their access until it has decided. A plan names its
/// category of abuse and its core group, who become the case's members and read under <c>child-protection-plan</c>; members
/// not in the core group leave the case at that moment. The core group first meets within 10 working days; the first review
/// is within 3 months and then every 6 months; a review that ends the plan closes the case.
/// </summary>
internal static class ConferenceEndpoints
{
    internal static readonly string[] Categories = ["neglect", "physical-abuse", "emotional-abuse", "sexual-abuse"];

    /// <summary>The state a plan sets on each child's record: children's social care's, like the plans its case system records.</summary>
    public const string PlanFlagCode = "child-protection-plan";
    public const string PlanFlagClass = "la.social-care";

    public static WebApplication MapConferences(this WebApplication app)
    {
        var cases = app.MapGroup("/enquiries").RequireAuthorization().WithTags("Child protection journey");
        cases.MapPost("/{id:guid}/conferences", RecordAsync).Audited("case.conference").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Record an initial or review child protection conference: attendance and reports by agency, and its decision (plan with category and core group, no plan, continue or end the plan)", 400, 404, 409, 422);
        cases.MapPost("/{id:guid}/core-group-meetings", RecordCoreGroupAsync).Audited("case.core-group-meeting").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Record a core group meeting (the plan's lead)", 400, 404, 409, 422);
        cases.MapPost("/{id:guid}/pre-proceedings", RecordPreProceedingsAsync).Audited("case.pre-proceedings").Takes(HubActions.EnquiryLead)
            .Answers<EnquiryChanged>(200, "Record the decision to enter pre-proceedings under the Public Law Outline, with FGDM offered at that point", 400, 404, 409, 422);
        return app;
    }

    /// <summary>The decision to enter pre-proceedings under the Public Law Outline, for the API and OData alike.</summary>
    internal static Task<IResult> RecordPreProceedingsAsync(Guid id, PreProceedingsInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "pre-proceedings", clock, (e, now) =>
        {
            var fgdm = EnquiryEndpoints.FgdmStatusOf(input.Fgdm);
            if (input.At is not { } at || at > now.AddMinutes(5))
            {
                return "at (when the decision to enter pre-proceedings was made, not in the future) is required";
            }
            if (fgdm is null)
            {
                // The Public Law Outline's point at which family group decision making must be offered.
                return "fgdm (offered, accepted or declined) is required: family group decision making is offered on entering pre-proceedings";
            }
            if (e.PreProceedingsAt is not null)
            {
                return "the case entered pre-proceedings already";
            }
            e.PreProceedingsAt = TimeProviderExtensions.TruncateForStorage(at);
            e.Fgdm.Add(new FgdmDecision { Id = Guid.NewGuid(), EnquiryId = e.Id, DecisionPoint = "pre-proceedings", Status = fgdm.Value, RecordedAt = now, RecordedBy = e.LeadPractitioner });
            return null;
        });

    /// <summary>A core group meeting of the plan, for the API and the case page alike.</summary>
    internal static Task<IResult> RecordCoreGroupAsync(Guid id, CoreGroupMeetingInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox) =>
        EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "core-group-meeting", clock, (e, now) =>
        {
            if (e.Stage != CaseStage.ChildProtectionPlan)
            {
                return "a core group meets while a child protection plan is in force; this case has none";
            }
            if (input.HeldAt is not { } held || held > now.AddMinutes(5) || held < e.PlanStartedAt)
            {
                return "heldAt (when the core group met, since the plan started and not in the future) is required";
            }
            e.CoreGroupMeetings.Add(new CoreGroupMeeting { Id = Guid.NewGuid(), EnquiryId = e.Id, HeldAt = TimeProviderExtensions.TruncateForStorage(held), RecordedAt = now });
            // The first meeting is the one with a deadline (10 working days); later ones are as the plan says.
            e.CoreGroupDueBy = null;
            return null;
        });

    internal static async Task<IResult> RecordAsync(Guid id, ConferenceInput input, HttpContext http, IRecordStore store, AuditScope audit, TimeProvider clock,
        NotificationOutbox outbox, PolicyDecisionPoint policy, Core.Time.WorkingCalendar calendar, Data.Storage.IHubDbContextFactory contexts, Core.Crypto.IFieldCipher cipher) =>
        // The core group are MACPT nominees like any member (the plan's lead excepted).
        await EnquiryEndpoints.NominationRefusalAsync(contexts, input.CoreGroup ?? [], http.HubPrincipal().Subject, "coreGroup", http.RequestAborted)
        ?? await EnquiryEndpoints.ChangeAsync(id, http, store, audit, outbox, "conference", clock, (e, now, others) =>
        {
            var attendance = input.Attendance ?? [];
            var coreGroup = input.CoreGroup ?? [];
            var initial = input.Kind == "initial";
            var errors = new FieldErrors()
                .When(input.Kind is not ("initial" or "review"), "kind", "kind is initial or review")
                .When(input.HeldAt is not { } held || held > now.AddMinutes(5), "heldAt", "heldAt (when the conference was held, not in the future) is required")
                .When(attendance.Count is 0 or > 20, "attendance", "attendance: each invited agency (1 to 20), whether it attended and gave a report");
            for (var i = 0; i < Math.Min(attendance.Count, 20); i++)
            {
                errors.When(attendance[i].Agency is null || !policy.Policy.Agencies.ContainsKey(attendance[i].Agency!), $"attendance[{i}].agency", $"attendance[{i}].agency must be an agency in the policy");
            }
            if (errors.Any)
            {
                return errors.Detail;
            }
            var decisions = initial ? new[] { "plan", "no-plan" } : ["continue-plan", "end-plan"];
            if (input.Decision is null || !decisions.Contains(input.Decision))
            {
                return $"decision of an {input.Kind} conference is one of {string.Join(", ", decisions)}";
            }
            var expected = initial ? CaseStage.AwaitingConference : CaseStage.ChildProtectionPlan;
            if (e.Stage != expected)
            {
                return initial
                    ? $"an initial conference follows an enquiry closed with the outcome childProtectionConference; this case is at the {Policies.Model.CaseStageNames.Of(e.Stage)} stage"
                    : "a review conference reviews a child protection plan in force; this case has none";
            }
            var makesPlan = input.Decision == "plan";
            if (makesPlan)
            {
                var planErrors = new FieldErrors()
                    .When(input.Category is null || !Categories.Contains(input.Category), "category", "category of abuse is one of " + string.Join(", ", Categories))
                    .When(coreGroup.Count == 0, "coreGroup", "coreGroup: the professionals who carry out the plan (at least one besides the lead social worker)");
                EnquiryEndpoints.AddMemberErrors(coreGroup, policy, planErrors, "coreGroup");
                if (planErrors.Any)
                {
                    return planErrors.Detail;
                }
            }
            var heldAt = TimeProviderExtensions.TruncateForStorage(input.HeldAt!.Value);
            e.Conferences.Add(new CaseConference
            {
                Id = Guid.NewGuid(), EnquiryId = e.Id, Kind = initial ? ConferenceKind.Initial : ConferenceKind.Review, HeldAt = heldAt,
                Attendance = attendance.Select(a => $"{a.Agency}/{(a.Attended ? "attended" : "absent")}/{(a.Report ? "report" : "no-report")}").ToList(),
                Decision = input.Decision, Category = makesPlan ? input.Category : null, RecordedAt = now,
            });
            switch (input.Decision)
            {
                case "plan":
                    e.Stage = CaseStage.ChildProtectionPlan;
                    e.ConferenceDueBy = null;
                    e.PlanStartedAt = heldAt;
                    e.PlanCategory = input.Category;
                    e.CoreGroupDueBy = EnquiryEndpoints.WorkingDaysAfter(calendar, heldAt, EnquiryEndpoints.CoreGroupWorkingDays);
                    e.ReviewDueBy = heldAt.AddMonths(3);
                    // The core group are the case's members from now on; the enquiry's other members leave it (the lead stays).
                    foreach (var member in e.Members.Where(m => m.RemovedAt is null && m.UserSubject != e.LeadPractitioner
                        && !coreGroup.Any(c => c.Agency == m.Agency && c.User == m.UserSubject)))
                    {
                        member.RemovedAt = now;
                    }
                    foreach (var added in coreGroup.Where(c => !e.Members.Any(m => m.RemovedAt is null && m.Agency == c.Agency && m.UserSubject == c.User)).DistinctBy(c => (c.Agency, c.User)))
                    {
                        e.Members.Add(new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = e.Id, Agency = added.Agency, UserSubject = added.User, Role = added.Role, AddedAt = now });
                    }
                    // Each child's record carries the plan as a state the agencies' systems see (as CP-IS shows unscheduled care),
                    // stored with the plan or not at all.
                    foreach (var child in e.Subjects.Where(s => s.Role == "child"))
                    {
                        var flag = new PersonState
                        {
                            Id = Guid.NewGuid(), OwningAgency = e.OwningAgency, OwningOrganisation = e.OwningOrganisation, DataClass = PlanFlagClass, PersonId = child.PersonId,
                            Code = PlanFlagCode, StartedAt = heldAt,
                        };
                        flag.Detail = cipher.Encrypt($"Category: {input.Category}; case {e.Reference}", SensitiveFields.For(flag, nameof(PersonState.Detail)));
                        others.Add(flag);
                        e.PlanFlags.Add(flag.Id);
                    }
                    break;
                case "continue-plan":
                    e.ReviewDueBy = heldAt.AddMonths(6);
                    break;
                default:
                    // No plan, or the plan ends: the case closes, and with it every member's access (after the grace period).
                    e.Status = EnquiryStatus.Closed;
                    e.ClosedAt = now;
                    e.ConferenceDueBy = null;
                    e.ReviewDueBy = null;
                    e.CoreGroupDueBy = null;
                    e.Outcome = initial ? EnquiryOutcome.NoChildProtectionPlan : EnquiryOutcome.PlanEnded;
                    if (!initial)
                    {
                        e.PlanEndedAt = heldAt;
                        foreach (var flag in e.PlanFlags)
                        {
                            others.Change<PersonState>(flag, state => state.EndedAt ??= heldAt);
                        }
                    }
                    break;
            }
            return null;
        });
}

internal sealed record CoreGroupMeetingInput(DateTimeOffset? HeldAt);
