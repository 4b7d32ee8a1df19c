using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Server.Writing;

namespace SharingHub.Server.Journey.FrontDoor;

/// <summary>What a referrer says about the child: the concern, who they are, how urgent, contact or referral, and the category.</summary>
internal sealed record ReferralInput(string Concern, string? Referrer, ReferralUrgency Urgency, ReferralKind Kind, string? Category);

/// <summary>
/// An agency refers a child to the Integrated Front Door, naming the child as its own organisation records them: the
/// decision falls due as the urgency sets on the working-day calendar, and the referrer is given an acknowledgement
/// reference (the day and the record's own id, no personal data). FHIR's <c>POST /Task</c> and the referral page both
/// make a referral here; the caller has checked that the child is the writer's own record and saves the context.
/// </summary>
internal sealed class MakeReferral(RecordWriter records, IFieldCipher cipher, WorkingCalendar calendar, TimeProvider clock)
{
    public Referral Stage(Data.Storage.HubDbContext db, RecordOwner owner, Guid child, ReferralInput input)
    {
        var received = clock.UtcNowForStorage();
        var id = Guid.NewGuid();
        var referral = records.Stamp(owner.Owns(new Referral
        {
            Id = id, DataClass = "referral", SubjectPersonId = child, ReceivedAt = received,
            DecisionDueAt = TimeProviderExtensions.TruncateForStorage(calendar.DecisionDue(received, input.Urgency)),
            Urgency = input.Urgency, Kind = input.Kind, ConcernCategory = input.Category,
            Reference = $"FD-{TimeZoneInfo.ConvertTime(received, calendar.Zone):yyMMdd}-{id.ToString("N")[..6].ToUpperInvariant()}",
        }));
        referral.Concern = cipher.Encrypt(input.Concern, SensitiveFields.For(referral, nameof(Referral.Concern)));
        referral.ReferrerIdentity = input.Referrer is { } who ? cipher.Encrypt(who, SensitiveFields.For(referral, nameof(Referral.ReferrerIdentity))) : null;
        db.Referrals.Add(referral);
        return referral;
    }

    /// <summary>The acknowledgement a referrer is given, in words.</summary>
    public static string Acknowledgement(Referral referral) =>
        $"acknowledged as {referral.Reference}, {(referral.Urgency == ReferralUrgency.Amber ? "an" : "a")} {Policies.Model.RecordFields.CamelCase(referral.Urgency.ToString())} "
        + $"{(referral.Kind == ReferralKind.Contact ? "contact" : "referral")}";
}
