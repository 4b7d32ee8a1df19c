using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Workflow;

internal sealed record SubjectInput(Guid Person, string Role);

internal sealed record OpenEnquiryInput(IReadOnlyList<SubjectInput>? Subjects, string? Grounds, IReadOnlyList<MemberInput>? Members = null, Guid? Referral = null);

/// <summary>
/// Opening a child protection case: a strategy discussion (which decides whether a section 47 enquiry starts), or a section 47
/// enquiry directly; its subjects, grounds and members (or participants), each checked, by the council's LCPP.
/// </summary>
internal static partial class EnquiryEndpoints
{
    private static Task<IResult> OpenAsync(OpenEnquiryInput input, HttpContext http, IRecordStore store, IHubDbContextFactory contexts,
        IFieldCipher cipher, PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock, Core.Time.WorkingCalendar calendar, Data.Linkage.PersonLinker linker) =>
        OpenCaseAsync(input, CaseStage.Section47, http, store, contexts, cipher, policy, audit, clock, calendar, linker);

    /// <summary>A case at its first stage: a strategy discussion, or a section 47 enquiry whose initial conference falls due.</summary>
    internal static async Task<IResult> OpenCaseAsync(OpenEnquiryInput input, CaseStage stage, HttpContext http, IRecordStore store, IHubDbContextFactory contexts,
        IFieldCipher cipher, PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock, Core.Time.WorkingCalendar calendar, Data.Linkage.PersonLinker linker)
    {
        // Who may open one at all is the endpoint's action (enquiry.open, in policies/actions.yaml).
        var me = http.HubPrincipal();
        var subjects = input.Subjects ?? [];
        var errors = new FieldErrors()
            .When(subjects.Count is 0 or > 20, "subjects", "subjects: 1 to 20 people")
            .When(subjects.Count > 0 && !subjects.Any(s => s.Role == "child"), "subjects", "subjects: at least one with role child");
        for (var i = 0; i < subjects.Count; i++)
        {
            errors.When(!SubjectRoles.Contains(subjects[i].Role), $"subjects[{i}].role", $"subjects[{i}].role is child or household");
        }
        errors.When(string.IsNullOrWhiteSpace(input.Grounds) || input.Grounds.Length > 4_000, "grounds", stage == CaseStage.StrategyDiscussion
            ? "grounds (why the discussion is convened: the concern about significant harm, up to 4,000 characters) are required"
            : "grounds (the reasonable cause to suspect significant harm, up to 4,000 characters) are required");
        AddMemberErrors(input.Members ?? [], policy, errors, "members");
        if (!errors.Any)
        {
            await AddNominationErrorsAsync(contexts, input.Members ?? [], me.Subject, errors, "members", http.RequestAborted);
        }
        if (!errors.Any)
        {
            var ids = subjects.Select(s => s.Person).Distinct().ToList();
            await using var db = contexts.Create();
            errors.When(await db.People.CountAsync(p => ids.Contains(p.Id), http.RequestAborted) != ids.Count, "subjects",
                "every subject must be a person record the hub holds");
            if (input.Referral is { } referralId)
            {
                // The case follows the front door's decision about this child: a referral decided for a section 47 enquiry or
                // immediate protection, about one of the subjects as any agency records them.
                var referral = await db.Referrals.AsNoTracking().FirstOrDefaultAsync(r => r.Id == referralId, http.RequestAborted);
                IReadOnlySet<Guid> linked = referral is null ? new HashSet<Guid>() : (await linker.LinkAsync([referral.SubjectPersonId], http.RequestAborted)).Of(referral.SubjectPersonId);
                errors.When(referral is not { Decision: ReferralDecision.Section47Enquiry or ReferralDecision.ImmediateProtection } || !ids.Any(linked.Contains), "referral",
                    "referral must be a referral the front door decided for a section 47 enquiry or immediate protection, about one of the subjects");
            }
        }
        if (errors.Any)
        {
            return errors.ToResult();
        }
        var now = clock.UtcNowForStorage();
        var enquiry = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = me.Agency, OwningOrganisation = me.Organisation, DataClass = Enquiry.DataClassCode, Status = EnquiryStatus.Open, OpenedAt = now,
            Reference = $"{(stage == CaseStage.StrategyDiscussion ? "SD" : "S47")}-{now.Year}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(5))}",
            LeadPractitioner = me.Subject, Stage = stage, ReferralId = input.Referral,
        };
        if (stage == CaseStage.Section47)
        {
            StartSection47(enquiry, now, calendar);
        }
        enquiry.Grounds = cipher.Encrypt(input.Grounds!.Trim(), SensitiveFields.For(enquiry, nameof(Enquiry.Grounds)));
        enquiry.Subjects = subjects.DistinctBy(s => s.Person).Select(s => new EnquirySubject { EnquiryId = enquiry.Id, PersonId = s.Person, Role = s.Role }).ToList();
        enquiry.Members = (input.Members ?? []).Prepend(new MemberInput(me.Agency, me.Subject, "lcpp")).DistinctBy(m => (m.Agency, m.User))
            .Select(m => new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = enquiry.Id, Agency = m.Agency, UserSubject = m.User, Role = m.Role, AddedAt = now }).ToList();
        await store.AddAsync(enquiry, http.RequestAborted);
        audit.EnquiryId = enquiry.Id;
        audit.RecordWrite(RecordFacts.For(enquiry), "open");
        // The Bill requires a police officer, a health professional and an education lead in every MACPT enquiry: say who is still missing.
        var missing = RequiredAgencies.Where(a => enquiry.Members.All(m => m.Agency != a)).ToList();
        // One case from the strategy discussion to the plan's end: read it at /enquiries/{id} whatever its stage.
        http.Response.Headers.Location = $"/enquiries/{enquiry.Id}";
        return Results.Json(new EnquiryOpened(enquiry.Id, enquiry.Reference, enquiry.Version, missing), statusCode: 201);
    }
}

/// <summary>An enquiry just opened; missingMembers names the agencies the Bill requires that are not members yet.</summary>
internal sealed record EnquiryOpened(Guid Id, string Reference, long Version, IReadOnlyList<string> MissingMembers);

/// <summary>Deadlines of the child protection journey, in the partnership's working-day calendar (Working Together 2023, chapter 4).</summary>
internal static partial class EnquiryEndpoints
{
    /// <summary>The initial conference is due within 15 working days of the strategy discussion that started the enquiry.</summary>
    public const int ConferenceWorkingDays = 15;

    /// <summary>The core group first meets within 10 working days of the initial conference.</summary>
    public const int CoreGroupWorkingDays = 10;

    /// <summary>The moment <paramref name="days"/> working days of working time after <paramref name="from"/>, in UTC as every stored time is.</summary>
    internal static DateTimeOffset WorkingDaysAfter(Core.Time.WorkingCalendar calendar, DateTimeOffset from, int days) =>
        Core.Time.TimeProviderExtensions.TruncateForStorage(calendar.AddWorkingTime(from, calendar.WorkingDay * days).ToUniversalTime());

    /// <summary>The enquiry starts: it is due its initial conference within 15 working days.</summary>
    internal static void StartSection47(Enquiry enquiry, DateTimeOffset now, Core.Time.WorkingCalendar calendar)
    {
        enquiry.Stage = CaseStage.Section47;
        enquiry.Section47StartedAt = now;
        enquiry.ConferenceDueBy = WorkingDaysAfter(calendar, now, ConferenceWorkingDays);
    }
}
