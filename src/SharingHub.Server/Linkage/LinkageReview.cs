using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Data.Linkage;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Linkage;

/// <summary>
/// The council's data team decides what linkage could not: it lists the pairs of records scored for review and confirms
/// or rejects each, and unlinks a link that is wrong. A person's decision always beats the score, and rescoring never
/// undoes it. The team sees each pair's evidence (which fields agreed, how, their weights, the total) and whose records
/// they are, never a name or a record's contents; each decision is audited with who, why and the evidence it was made on.
/// </summary>
internal static class LinkageReview
{
    private const int MaxPage = 200;
    private const int MinReason = 10;

    public static WebApplication MapLinkageReview(this WebApplication app)
    {
        var linkage = app.MapGroup("/linkage").RequireAuthorization().WithTags("Record linkage");
        linkage.MapGet("/reviews", ListAsync).Audited("linkage.review-list").Takes(HubActions.LinkageReview)
            .Answers<PairsView>(200, "The pairs of records linkage scored for review, oldest first, with their evidence (the council's data team)", 403);
        linkage.MapGet("/pairs", PairsOfAsync).Audited("linkage.pairs-read").Takes(HubActions.LinkageReview)
            .Answers<PairsView>(200, "Every pair linkage holds for a person record (person=ID): linked, for review, rejected, unlinked, with evidence and decisions", 400, 403);
        linkage.MapPost("/pairs/{id:guid}/confirm", Decision(PairState.Confirmed)).Audited("linkage.confirm").Takes(HubActions.LinkageReview)
            .Answers<PairView>(200, "Confirm that the two records are one person: they are linked from now on, whatever the score", 404, 409, 422);
        linkage.MapPost("/pairs/{id:guid}/reject", Decision(PairState.Rejected)).Audited("linkage.reject").Takes(HubActions.LinkageReview)
            .Answers<PairView>(200, "Reject a pair in review: the two records are two people, whatever the score", 404, 409, 422);
        linkage.MapPost("/pairs/{id:guid}/unlink", Decision(PairState.Unlinked)).Audited("linkage.unlink").Takes(HubActions.LinkageReview)
            .Answers<PairView>(200, "Unlink two records that are linked (by the score or a confirmation): they are two people from now on", 404, 409, 422);
        return app;
    }

    /// <summary>The handler of one kind of decision (confirm, reject, unlink): the same checks and audit for each.</summary>
    private static DecisionHandler Decision(PairState decision) =>
        (id, input, http, contexts, linker, audit, clock, ct) => DecideAsync(id, input, decision, http, contexts, linker, audit, clock, ct);

    /// <summary>Named parameters, so the route's id and the body bind by name.</summary>
    private delegate Task<IResult> DecisionHandler(Guid id, DecisionInput input, HttpContext http, IHubDbContextFactory contexts, PersonLinker linker,
        AuditScope audit, TimeProvider clock, CancellationToken ct);

    private static async Task<IResult> ListAsync(IHubDbContextFactory contexts, AuditScope audit, int? limit, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var pairs = await db.PersonPairs.AsNoTracking().Where(p => p.State == PairState.Automatic && p.Outcome == PairOutcome.Review)
            .OrderBy(p => p.ScoredAt).ThenBy(p => p.Id).Take(Math.Clamp(limit ?? 50, 1, MaxPage)).ToListAsync(ct);
        var views = await ViewsAsync(db, pairs, ct);
        audit.Count = views.Count;
        return Results.Json(new PairsView(views));
    }

    private static async Task<IResult> PairsOfAsync(HttpContext http, IHubDbContextFactory contexts, AuditScope audit, CancellationToken ct)
    {
        if (!Guid.TryParse(http.Request.Query["person"].FirstOrDefault(), out var person))
        {
            return Results.Problem(statusCode: 400, detail: "name the person record: person=ID");
        }
        await using var db = contexts.Create();
        var pairs = await db.PersonPairs.AsNoTracking().Where(p => p.PersonA == person || p.PersonB == person)
            .OrderBy(p => p.ScoredAt).Take(MaxPage).ToListAsync(ct);
        var views = await ViewsAsync(db, pairs, ct);
        audit.Count = views.Count;
        return Results.Json(new PairsView(views));
    }

    private static async Task<IResult> DecideAsync(Guid id, DecisionInput input, PairState decision, HttpContext http, IHubDbContextFactory contexts,
        PersonLinker linker, AuditScope audit, TimeProvider clock, CancellationToken ct)
    {
        var reason = input.Reason?.Trim();
        if (reason is null || reason.Length < MinReason || reason.Length > 1_000)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]>
            {
                ["reason"] = [$"say why, in {MinReason} to 1,000 characters: the decision is audited with its reason"],
            }, statusCode: 422);
        }
        await using var db = contexts.Create();
        var pair = await db.PersonPairs.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (pair is null)
        {
            return Results.Problem(statusCode: 404, detail: "no pair of records with that id");
        }
        var allowed = decision switch
        {
            PairState.Unlinked => pair.IsLinked,
            _ => pair.AwaitsReview,
        };
        if (!allowed)
        {
            return Results.Problem(statusCode: 409, detail: decision == PairState.Unlinked
                ? $"the pair is not linked (it is {Describe(pair)}): only linked records can be unlinked"
                : $"the pair is not awaiting review (it is {Describe(pair)})");
        }
        var me = http.HubPrincipal();
        pair.State = decision;
        pair.DecidedBy = me.Subject;
        pair.DecidedAt = clock.GetUtcNow();
        pair.Reason = reason;
        pair.Version++;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Results.Problem(statusCode: 409, detail: "the pair was decided at the same time by someone else; list it again");
        }
        linker.Forget();
        audit.RecordLinkageDecision(pair.Id, pair.PersonA, pair.PersonB, Describe(pair), pair.Weight, JsonDocument.Parse(pair.Evidence).RootElement);
        return Results.Json((await ViewsAsync(db, [pair], ct)).Single());
    }

    private static string Describe(PersonPair pair) => pair.State switch
    {
        PairState.Automatic => pair.Outcome == PairOutcome.Link ? "linked" : "awaiting review",
        _ => pair.State.ToString().ToLowerInvariant(),
    };

    /// <summary>Each pair with whose records they are (agency, organisation, child or adult); never a name.</summary>
    private static async Task<List<PairView>> ViewsAsync(HubDbContext db, IReadOnlyCollection<PersonPair> pairs, CancellationToken ct)
    {
        var ids = pairs.SelectMany(p => new[] { p.PersonA, p.PersonB }).Distinct().ToList();
        var records = await db.People.AsNoTracking().Where(p => ids.Contains(p.Id))
            .Select(p => new { p.Id, p.OwningAgency, p.OwningOrganisation, p.Kind }).ToDictionaryAsync(p => p.Id, ct);
        PairRecord Of(Guid id) => records.TryGetValue(id, out var r)
            ? new PairRecord(id, r.OwningAgency, r.OwningOrganisation, r.Kind.ToString().ToLowerInvariant())
            : new PairRecord(id, null, null, null);
        return pairs.Select(p => new PairView(p.Id, [Of(p.PersonA), Of(p.PersonB)], Describe(p), p.Weight, p.Probability,
            JsonDocument.Parse(p.Evidence).RootElement, p.ScoredAt, p.DecidedBy, p.DecidedAt, p.Reason)).ToList();
    }
}

/// <summary>Why a person decided as they did; audited with the decision.</summary>
internal sealed record DecisionInput(string? Reason);

internal sealed record PairRecord(Guid Id, string? Agency, string? Organisation, string? Kind);

internal sealed record PairView(Guid Id, IReadOnlyList<PairRecord> Records, string State, double Weight, double Probability, JsonElement Evidence,
    DateTimeOffset ScoredAt, string? DecidedBy, DateTimeOffset? DecidedAt, string? Reason);

internal sealed record PairsView(IReadOnlyList<PairView> Pairs);
