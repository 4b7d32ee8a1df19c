using System.Linq.Expressions;
using SharingHub.Core.Records;

namespace SharingHub.Data.Storage;

/// <summary>
/// Open child protection cases with an item overdue: the initial conference, first core group or review conference due before
/// now. The hub's escalation reads these (and escalates each item once); the benchmark waits until none is left unescalated.
/// </summary>
public static class OverdueCases
{
    public static Expression<Func<Enquiry, bool>> Open(DateTimeOffset now) => e => e.Status == EnquiryStatus.Open
        && ((e.ConferenceDueBy != null && e.ConferenceDueBy < now) || (e.CoreGroupDueBy != null && e.CoreGroupDueBy < now) || (e.ReviewDueBy != null && e.ReviewDueBy < now));
}
