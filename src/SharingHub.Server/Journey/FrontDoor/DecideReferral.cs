using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Policies.Model;
using SharingHub.Core.Time;
using SharingHub.Data.Notifications;
using SharingHub.Data.Storage;
using SharingHub.Policies.Decisions;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Journey.FrontDoor;

/// <summary>What deciding a referral came to; each API (FHIR <c>$decide</c> today, a page next) words it its own way.</summary>
internal abstract record ReferralDecisionResult
{
    /// <summary>The decision is recorded; the referral as this caller may now see it.</summary>
    public sealed record Decided(Disclosure Referral) : ReferralDecisionResult;

    /// <summary>No referral this caller may know of (the same answer for one that does not exist).</summary>
    public sealed record NotFound : ReferralDecisionResult;

    /// <summary>Only the council's front door decides referrals.</summary>
    public sealed record NotADecider : ReferralDecisionResult;

    /// <summary>A decision, once made, is changed only by a revision that says why.</summary>
    public sealed record AlreadyDecided(ReferralDecision Earlier) : ReferralDecisionResult;

    /// <summary>What the decision was given is not acceptable (a revision without its reasons, text too long).</summary>
    public sealed record Invalid(string Field, string Problem) : ReferralDecisionResult;

    /// <summary>The referral changed while it was being decided.</summary>
    public sealed record Changed : ReferralDecisionResult;
}

/// <summary>
/// The council's front door records its decision on a referral (immediate protection, section 47 enquiry, section 17
/// assessment, Family Help, no further action). The referral stays the referring agency's record, so the referrer
/// sees the outcome of what it referred, and is told of it.
/// </summary>
internal sealed class DecideReferral(IRecordStore store, IHubDbContextFactory contexts, AuditScope audit, TimeProvider clock, NotificationOutbox outbox,
    PolicyDecisionPoint policy, Core.Crypto.IFieldCipher cipher)
{
    /// <summary>Who may decide is the policy's action referral.decide (the council's front door), never a list here.</summary>
    public bool MayDecide(HubPrincipal me) => policy.MayTake(me, HubActions.ReferralDecide).IsPermit;

    /// <summary>Decides the referral under the request's opened access (purpose front-door-triage, or as policy allows).</summary>
    public Task<ReferralDecisionResult> HandleAsync(HubPrincipal me, Guid id, ReferralDecision chosen, RecordAccess access, CancellationToken ct) =>
        HandleAsync(me, id, new ReferralDecisionInput(chosen), access, ct);

    /// <summary>
    /// Decides (or, with <see cref="ReferralDecisionInput.Revise"/> and its reasons, revises) the referral: the decision, why
    /// (sealed), who decided and the manager who signed it off. A revision keeps the decision before it in the record's history.
    /// </summary>
    public async Task<ReferralDecisionResult> HandleAsync(HubPrincipal me, Guid id, ReferralDecisionInput input, RecordAccess access, CancellationToken ct)
    {
        if (!MayDecide(me))
        {
            return new ReferralDecisionResult.NotADecider();
        }
        if (input.Rationale is { Length: > 4_000 })
        {
            return new ReferralDecisionResult.Invalid("rationale", "the rationale is at most 4,000 characters");
        }
        if (input.SignedOffBy is { Length: > 128 } || input.SignedOffBy is { } manager && string.IsNullOrWhiteSpace(manager))
        {
            return new ReferralDecisionResult.Invalid("signedOffBy", "the manager who signed the decision off is named in up to 128 characters");
        }
        if (input.Revise && string.IsNullOrWhiteSpace(input.Rationale))
        {
            return new ReferralDecisionResult.Invalid("rationale", "a revised decision says why it was revised (rationale)");
        }
        await using var db = contexts.Create();
        var referral = await db.Referrals.AsNoTracking().ReachableBy(access).FirstOrDefaultAsync(r => r.Id == id, ct);
        if (referral is null)
        {
            return new ReferralDecisionResult.NotFound();
        }
        await access.PrepareAsync([referral.SubjectPersonId], ct);
        var permission = access.Decide(referral);
        if (!permission.IsPermit)
        {
            return new ReferralDecisionResult.NotFound();
        }
        if (referral.Decision is { } earlier && !input.Revise)
        {
            return new ReferralDecisionResult.AlreadyDecided(earlier);
        }
        if (referral.Decision is null && input.Revise)
        {
            return new ReferralDecisionResult.Invalid("revise", "the referral has no decision yet to revise");
        }
        var now = clock.UtcNowForStorage();
        var chosen = input.Decision;
        var updated = await store.UpdateAsync<Referral>(id, referral.Version, r =>
        {
            r.Decision = chosen;
            r.DecidedAt = now;
            r.DecidedBy = me.Subject;
            r.SignedOffBy = input.SignedOffBy?.Trim();
            r.DecisionRationale = string.IsNullOrWhiteSpace(input.Rationale) ? null
                : cipher.Encrypt(input.Rationale.Trim(), Core.Crypto.SensitiveFields.For(r, nameof(Referral.DecisionRationale)));
        }, ct);
        if (updated.Status != UpdateStatus.Updated)
        {
            return new ReferralDecisionResult.Changed();
        }
        audit.RecordWrite(RecordFacts.For(updated.Record!), input.Revise ? "revise-decision" : "decide");
        // The referring agency learns the outcome of what it referred (partners asked for exactly this).
        await outbox.EnqueueAsync(referral.OwningOrganisation, "referral.decided",
            new { task = $"Task/{id}", decision = RecordFields.CamelCase(chosen.ToString()), decidedAt = now, revised = input.Revise }, TimeSpan.Zero, ct);
        return new ReferralDecisionResult.Decided(access.Disclose(updated.Record!, permission));
    }
}

/// <summary>A front-door decision as it is given: the decision, why, the manager who signed it off, and whether it revises an earlier one.</summary>
internal sealed record ReferralDecisionInput(ReferralDecision Decision, string? Rationale = null, string? SignedOffBy = null, bool Revise = false);
