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

internal sealed record OpenEnquiryInput(IReadOnlyList<SubjectInput>? Subjects, string? Grounds, IReadOnlyList<MemberInput>? Members = null);

/// <summary>Opening a section 47 enquiry: its subjects, grounds and members, each checked, by the council's LCPP.</summary>
internal static partial class EnquiryEndpoints
{
    private static async Task<IResult> OpenAsync(OpenEnquiryInput input, HttpContext http, IRecordStore store, IHubDbContextFactory contexts,
        IFieldCipher cipher, PolicyDecisionPoint policy, AuditScope audit, TimeProvider clock)
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
        errors.When(string.IsNullOrWhiteSpace(input.Grounds) || input.Grounds.Length > 4_000, "grounds",
            "grounds (the reasonable cause to suspect significant harm, up to 4,000 characters) are required");
        AddMemberErrors(input.Members ?? [], policy, errors, "members");
        if (!errors.Any)
        {
            var ids = subjects.Select(s => s.Person).Distinct().ToList();
            await using var db = contexts.Create();
            errors.When(await db.People.CountAsync(p => ids.Contains(p.Id), http.RequestAborted) != ids.Count, "subjects",
                "every subject must be a person record the hub holds");
        }
        if (errors.Any)
        {
            return errors.ToResult();
        }
        var now = clock.UtcNowForStorage();
        var enquiry = new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = me.Agency, OwningOrganisation = me.Organisation, DataClass = Enquiry.DataClassCode, Status = EnquiryStatus.Open, OpenedAt = now,
            Reference = $"S47-{now.Year}-{Convert.ToHexString(RandomNumberGenerator.GetBytes(5))}", LeadPractitioner = me.Subject,
        };
        enquiry.Grounds = cipher.Encrypt(input.Grounds!.Trim(), SensitiveFields.For(enquiry, nameof(Enquiry.Grounds)));
        enquiry.Subjects = subjects.DistinctBy(s => s.Person).Select(s => new EnquirySubject { EnquiryId = enquiry.Id, PersonId = s.Person, Role = s.Role }).ToList();
        enquiry.Members = (input.Members ?? []).Prepend(new MemberInput(me.Agency, me.Subject, "lcpp")).DistinctBy(m => (m.Agency, m.User))
            .Select(m => new EnquiryMember { Id = Guid.NewGuid(), EnquiryId = enquiry.Id, Agency = m.Agency, UserSubject = m.User, Role = m.Role, AddedAt = now }).ToList();
        await store.AddAsync(enquiry, http.RequestAborted);
        audit.EnquiryId = enquiry.Id;
        audit.RecordWrite(RecordFacts.For(enquiry), "open");
        // The Bill requires a police officer, a health professional and an education lead in every MACPT enquiry: say who is still missing.
        var missing = RequiredAgencies.Where(a => enquiry.Members.All(m => m.Agency != a)).ToList();
        http.Response.Headers.Location = $"/enquiries/{enquiry.Id}";
        return Results.Json(new EnquiryOpened(enquiry.Id, enquiry.Reference, enquiry.Version, missing), statusCode: 201);
    }
}

/// <summary>An enquiry just opened; missingMembers names the agencies the Bill requires that are not members yet.</summary>
internal sealed record EnquiryOpened(Guid Id, string Reference, long Version, IReadOnlyList<string> MissingMembers);
