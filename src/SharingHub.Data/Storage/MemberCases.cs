using System.Linq.Expressions;
using SharingHub.Core.Records;

namespace SharingHub.Data.Storage;

/// <summary>
/// Which cases a practitioner is a current member of, as a database query: the decision point's own test
/// (<see cref="EnquiryMemberFacts.IsActiveAt"/>: added by now and not removed by now), so a practitioner's lists (<c>/me</c>, their
/// cases page) show exactly the cases the decision point lets them open. The membership index leads with agency and subject and
/// ends with the case, so asking this of each open case is one probe a case, however many cases the member belongs to.
/// </summary>
public static class MemberCases
{
    /// <summary>A membership of this agency's practitioner that is current at <paramref name="now"/>.</summary>
    public static Expression<Func<EnquiryMember, bool>> Current(string agency, string subject, DateTimeOffset now) =>
        m => m.Agency == agency && m.UserSubject == subject && m.AddedAt <= now && (m.RemovedAt == null || m.RemovedAt > now);

    /// <summary>The open cases among <paramref name="cases"/> this practitioner is a current member of.</summary>
    public static IQueryable<Enquiry> OpenWithMember(this IQueryable<Enquiry> cases, string agency, string subject, DateTimeOffset now)
    {
        var current = Current(agency, subject, now);
        return cases.Where(e => e.Status == EnquiryStatus.Open && e.Members.AsQueryable().Any(current));
    }

    /// <summary>The open cases this practitioner leads or is a current member of.</summary>
    public static IQueryable<Enquiry> OpenLedOrWithMember(this IQueryable<Enquiry> cases, string agency, string subject, DateTimeOffset now)
    {
        var current = Current(agency, subject, now);
        return cases.Where(e => e.Status == EnquiryStatus.Open
            && ((e.LeadPractitioner == subject && e.OwningAgency == agency) || e.Members.AsQueryable().Any(current)));
    }
}
