using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Records;
using SharingHub.Crypto.Audit;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Audit;

/// <summary>Audit over the real HTTP pipeline, on each engine: one entry per request, fail closed, the IG officer's view, offline verification.</summary>
public abstract class AuditApiTests(DatabaseEngine engine) : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private HubFactory _hub = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(engine);
        _hub = new HubFactory(_database, settings: new Dictionary<string, string?> { ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true" });
        _client = _hub.CreateClient();
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string user, string? purpose = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _hub.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor(user));
        if (purpose is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", purpose);
        }
        return await _client.SendAsync(request);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Given_requests_by_police_and_health_then_each_organisations_ig_officer_sees_only_its_own_organisations_entries()
    {
        (await GetAsync("/me", "demo-police-officer")).Dispose();
        (await GetAsync("/me", "demo-health-practitioner")).Dispose();

        // The practitioner works for Northgate trust: its IG officer sees what they did; the ICB's, in the same sector, does not.
        using var response = await GetAsync("/audit/entries", "demo-northgate-ig", "audit-review");
        using var icb = await GetAsync("/audit/entries", "demo-health-ig", "audit-review");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = (await Json(response)).GetProperty("entries").EnumerateArray().ToList();
        Assert.Contains(entries, e => e.GetProperty("user").GetString() == "demo-health-practitioner" && e.GetProperty("action").GetString() == "identity.me");
        Assert.All(entries, e => Assert.Equal("trust-northgate", e.GetProperty("organisation").GetString()));
        Assert.DoesNotContain(entries, e => e.GetProperty("agency").GetString() == "police");
        Assert.Equal(HttpStatusCode.OK, icb.StatusCode);
        Assert.DoesNotContain((await Json(icb)).GetProperty("entries").EnumerateArray(), e => e.GetProperty("user").GetString() == "demo-health-practitioner");
    }

    [Fact]
    public async Task Given_a_practitioner_who_is_not_an_ig_officer_when_searching_the_audit_then_refused_and_the_refusal_is_itself_audited()
    {
        using var refused = await GetAsync("/audit/entries", "demo-police-officer", "audit-review");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("purpose_not_allowed", (await Json(refused)).GetProperty("error").GetString());

        await using var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        var entry = await db.AuditEntries.AsNoTracking().OrderByDescending(a => a.Sequence).FirstAsync();
        Assert.Equal("audit.search", entry.Action);
        Assert.Equal("demo-police-officer", entry.Actor);
        Assert.Equal("rejected", entry.Outcome);
    }

    [Theory]
    [InlineData("/audit/entries?bogus=1")]
    [InlineData("/audit/entries?usr=demo-la-lcpp")]
    [InlineData("/audit/export?format=csv&agnecy=police")]
    [InlineData("/audit/reports/volume?form=2026-01-01")]
    public async Task Given_a_filter_the_audit_search_does_not_take_then_400_names_it_instead_of_answering_everything(string path)
    {
        (await GetAsync("/me", "demo-la-lcpp")).Dispose();

        using var response = await GetAsync(path, "demo-la-ig", "audit-review");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await Json(response);
        Assert.Equal("invalid_parameter", body.GetProperty("error").GetString());
        Assert.Contains(path.Split('?')[1].Split('=')[0].Split('&')[^1], body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        using var known = await GetAsync("/audit/entries?user=demo-la-lcpp", "demo-la-ig", "audit-review");
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
    }

    /// <summary>
    /// A search by user goes through the log's index by actor, kept apart from the log and brought up to date in the background:
    /// on every path that takes the filter it holds that user's entries, those just written among them, and no one else's.
    /// </summary>
    [Theory]
    [InlineData("/audit/entries?user=demo-police-front-door")]
    [InlineData("/audit/export?format=csv&user=demo-police-front-door")]
    [InlineData("/audit/export?format=fhir-ndjson&user=demo-police-front-door")]
    [InlineData("/audit/reports/volume?user=demo-police-front-door")]
    [InlineData("/fhir/AuditEvent?agent=demo-police-front-door")]
    [InlineData("/odata/AuditEntries?$filter=actor eq 'demo-police-front-door'")]
    [InlineData("/odata/AuditEntries?$filter=agency eq 'police' and (actor eq 'demo-police-front-door' and outcome ne 'x')&$orderby=actor,sequence desc&$count=true")]
    public async Task Given_a_search_by_user_on_any_path_then_it_holds_that_users_entries_and_no_one_elses(string path)
    {
        (await GetAsync("/me", "demo-police-officer")).Dispose();
        (await GetAsync("/me", "demo-police-front-door")).Dispose();
        // Brought up to date once, as the hub's background round does, and then more entries after it: both parts are read.
        await _hub.Services.GetRequiredService<AuditActorIndex>().CatchUpAsync(CancellationToken.None);
        (await GetAsync("/me", "demo-police-front-door")).Dispose();
        (await GetAsync("/me", "demo-police-officer")).Dispose();

        using var response = await GetAsync(path, "demo-police-ig", "audit-review");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.DoesNotContain("demo-police-officer", body, StringComparison.Ordinal);
        if (path.Contains("/reports/volume", StringComparison.Ordinal))
        {
            // Counted by role: only the front door's roles, not the officer's (the report names a user only on an unusual day).
            Assert.Single((await Json(response)).GetProperty("result").GetProperty("byRole").EnumerateArray());
        }
        else
        {
            Assert.Contains("demo-police-front-door", body, StringComparison.Ordinal);
        }
        if (path.StartsWith("/audit/entries", StringComparison.Ordinal) || path.StartsWith("/odata/", StringComparison.Ordinal))
        {
            var odata = path.StartsWith("/odata/", StringComparison.Ordinal);
            var entries = (await Json(response)).GetProperty(odata ? "value" : "entries").EnumerateArray().ToList();
            Assert.Equal(2, entries.Count(e => e.GetProperty("action").GetString() == "identity.me"));
            Assert.All(entries, e => Assert.Equal("demo-police-front-door", e.GetProperty(odata ? "actor" : "user").GetString()));
        }
    }

    [Theory]
    [InlineData("/odata/AuditEntries?$select=sequence&$orderby=sequence desc", "odata")]
    [InlineData("/odata/AuditEntries?$select=sequence,agency&$orderby=agency,actor", "odata")]
    [InlineData("/fhir/AuditEvent?_count=3", "fhir")]
    public async Task Given_the_log_grows_while_an_ig_officer_pages_then_no_entry_is_seen_twice_or_missed(string first, string api)
    {
        for (var i = 0; i < 8; i++)
        {
            (await GetAsync("/me", "demo-la-lcpp")).Dispose();
        }
        long before;
        await using (var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            before = await db.AuditEntries.MaxAsync(a => a.Sequence);
        }

        var seen = new List<long>();
        string? next = first;
        for (var pages = 0; next is not null && pages < 50; pages++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _hub.Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor("demo-la-ig"));
            request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", "audit-review");
            request.Headers.TryAddWithoutValidation("Prefer", "odata.maxpagesize=3");
            using var response = await _client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await Json(response);
            if (api == "odata")
            {
                seen.AddRange(body.GetProperty("value").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()));
                next = body.TryGetProperty("@odata.nextLink", out var link) ? new Uri(link.GetString()!).PathAndQuery : null;
            }
            else
            {
                seen.AddRange(body.TryGetProperty("entry", out var entries) ? entries.EnumerateArray().Select(e => long.Parse(e.GetProperty("resource").GetProperty("id").GetString()!, System.Globalization.CultureInfo.InvariantCulture)) : []);
                next = body.GetProperty("link").EnumerateArray().Where(l => l.GetProperty("relation").GetString() == "next")
                    .Select(l => new Uri(l.GetProperty("url").GetString()!).PathAndQuery).FirstOrDefault();
            }
        }

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.True(seen.Count(s => s <= before) >= 8, $"{seen.Count} seen");
        // Every la entry up to the head at the first page is seen: nothing was missed.
        await using var check = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        var expected = await check.AuditEntries.Where(a => a.Sequence <= before && a.Agency == "la").Select(a => a.Sequence).ToListAsync();
        Assert.Empty(expected.Except(seen));
    }

    [Fact]
    public async Task Given_no_purpose_then_the_refusal_lists_the_purposes_the_caller_may_use()
    {
        using var response = await GetAsync("/audit/entries", "demo-la-ig");
        var body = await Json(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("purpose_required", body.GetProperty("error").GetString());
        Assert.Equal(["audit-review"], body.GetProperty("purposes").EnumerateArray().Select(p => p.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Given_the_audit_store_is_broken_then_no_request_returns_data_and_each_answers_503()
    {
        using (var ok = await GetAsync("/me", "demo-la-lcpp"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        await using (var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE "AuditEntries" RENAME TO "AuditEntriesGone" """);
        }

        for (var i = 0; i < 5; i++)
        {
            using var response = await GetAsync("/me", "demo-la-lcpp");
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.DoesNotContain("demo-la-lcpp", text, StringComparison.Ordinal);
        }
        // Each API answers the refusal in its own format.
        using var fhir = await GetAsync("/fhir/Patient?family=Nobody&birthdate=2015-01-01", "demo-la-front-door", "front-door-triage");
        using var odata = await GetAsync("/odata/Events?$top=1", "demo-la-front-door", "front-door-triage");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "OperationOutcome"), (fhir.StatusCode, JsonDocument.Parse(await fhir.Content.ReadAsStringAsync()).RootElement.GetProperty("resourceType").GetString()));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "ServiceUnavailable"), (odata.StatusCode, JsonDocument.Parse(await odata.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Given_the_audit_store_fails_part_way_through_concurrent_requests_then_every_2xx_has_a_committed_entry()
    {
        var responses = new System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string? RequestId)>();
        async Task Burst(int n) => await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
        {
            using var response = await GetAsync("/me", i % 2 == 0 ? "demo-la-lcpp" : "demo-probation-officer");
            responses.Add((response.StatusCode, response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.Single() : null));
        }));
        await Burst(40);
        var breaking = Task.Run(async () =>
        {
            await Task.Delay(20);
            await using var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE "AuditEntries" RENAME TO "AuditEntriesAside" """);
        });
        await Task.WhenAll(Burst(60), breaking);
        await Burst(10);

        await using (var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create())
        {
            await db.Database.ExecuteSqlRawAsync("""ALTER TABLE "AuditEntriesAside" RENAME TO "AuditEntries" """);
        }
        await using var check = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        var committed = (await check.AuditEntries.AsNoTracking().Select(a => a.RequestId).ToListAsync()).ToHashSet();
        var ok = responses.Where(r => r.Status == HttpStatusCode.OK).ToList();
        Assert.NotEmpty(ok);
        Assert.Contains(responses, r => r.Status == HttpStatusCode.ServiceUnavailable);
        Assert.All(ok, r => Assert.Contains(r.RequestId!, committed));
        Assert.All(responses, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, r.Status.ToString()));
    }

    [Fact]
    public async Task Given_a_signed_checkpoint_then_anyone_with_the_published_key_verifies_it_and_an_inclusion_proof_offline()
    {
        for (var i = 0; i < 7; i++)
        {
            (await GetAsync("/me", "demo-education-lead")).Dispose();
        }
        await _hub.Services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(CancellationToken.None);

        var jwk = (await Json(await _client.GetAsync(new Uri("/audit/public-key", UriKind.Relative)))).GetProperty("keys")[0];
        using var key = SharingHub.Crypto.Signing.HubSigningKeys.PublicKeyFromJwk(jwk);
        var c = await Json(await GetAsync("/audit/checkpoint", "demo-education-lead"));
        var checkpoint = new AuditCheckpoint
        {
            TreeSize = c.GetProperty("treeSize").GetInt64(),
            RootHash = Convert.FromBase64String(c.GetProperty("rootHash").GetString()!),
            CreatedAt = c.GetProperty("createdAt").GetDateTimeOffset(),
            KeyId = c.GetProperty("keyId").GetString()!,
            Signature = Convert.FromBase64String(c.GetProperty("signature").GetString()!),
        };
        Assert.True(AuditHashing.VerifyCheckpoint(checkpoint, key));

        var proof = await Json(await GetAsync($"/audit/proofs/inclusion?sequence=3&treeSize={checkpoint.TreeSize}", "demo-education-lead"));
        await using var db = _hub.Services.GetRequiredService<IHubDbContextFactory>().Create();
        var leaf = (await db.AuditEntries.AsNoTracking().SingleAsync(a => a.Sequence == 3)).EntryHash;
        var hashes = proof.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();
        Assert.True(MerkleTree.VerifyInclusion(leaf, 2, checkpoint.TreeSize, hashes, checkpoint.RootHash));
    }

    [Fact]
    public async Task Given_entries_then_the_ig_officer_exports_them_as_csv_and_as_fhir_audit_events_with_purpose_of_use()
    {
        (await GetAsync("/me", "demo-la-lcpp")).Dispose();
        (await GetAsync("/audit/entries", "demo-la-ig", "audit-review")).Dispose();

        using var csv = await GetAsync("/audit/export?format=csv", "demo-la-ig", "audit-review");
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("sequence,recorded_at,agency,user,purpose", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains(",demo-la-lcpp,", StringComparison.Ordinal));
        // Each line ends with the organisation the requester acted for (the council's, for its LCPP).
        Assert.EndsWith(",organisation", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",la", lines.First(l => l.Contains(",demo-la-lcpp,", StringComparison.Ordinal)), StringComparison.Ordinal);

        using var fhir = await GetAsync("/audit/export?format=fhir-ndjson", "demo-la-ig", "audit-review");
        var events = (await fhir.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(events, e => Assert.Equal("AuditEvent", e.GetProperty("resourceType").GetString()));
        var search = events.First(e => e.GetProperty("subtype")[0].GetProperty("code").GetString() == "audit.search");
        Assert.Equal("audit-review", search.GetProperty("agent")[0].GetProperty("purposeOfUse")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Contains("ig.own-agency-audit", search.GetProperty("agent")[0].GetProperty("policy").EnumerateArray().Select(p => p.GetString()));
    }

    [Fact]
    public async Task Given_requests_then_the_share_rate_report_counts_permits_and_refusals_per_agency()
    {
        (await GetAsync("/audit/entries", "demo-health-ig", "audit-review")).Dispose();
        (await GetAsync("/audit/entries", "demo-health-practitioner", "audit-review")).Dispose();

        using var response = await GetAsync("/audit/reports/share-rates", "demo-health-ig", "audit-review");
        var health = (await Json(response)).GetProperty("result").EnumerateArray().Single(r => r.GetProperty("agency").GetString() == "health");

        Assert.True(health.GetProperty("permits").GetInt32() >= 1);
        using var unknown = await GetAsync("/audit/reports/gossip", "demo-health-ig", "audit-review");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Given_a_childs_records_were_read_then_who_has_seen_them_is_found_by_subject_and_only_by_the_owning_agencys_ig_officer()
    {
        var child = Guid.NewGuid();
        var audit = _hub.Services.GetRequiredService<SharingHub.Core.Audit.IAuditLog>();
        await audit.AppendAsync(new SharingHub.Core.Audit.AuditRecord(DateTimeOffset.UtcNow, "req-sar-1", "police", "officer-9", "s47-enquiry", null,
            "event.read", "success", "permit", false, [child], ["health"], "{}"), CancellationToken.None);
        await audit.AppendAsync(new SharingHub.Core.Audit.AuditRecord(DateTimeOffset.UtcNow, "req-sar-2", "la", "lcpp-3", "s47-enquiry", null,
            "event.read", "success", "permit", false, [Guid.NewGuid()], ["health"], "{}"), CancellationToken.None);

        using var health = await GetAsync($"/audit/entries?subject={child}", "demo-health-ig", "audit-review");
        var found = (await Json(health)).GetProperty("entries").EnumerateArray().ToList();
        var entry = Assert.Single(found);
        Assert.Equal("officer-9", entry.GetProperty("user").GetString());
        Assert.True(entry.GetProperty("reviewBeforeDisclosure").GetBoolean());

        using var byAgency = await GetAsync("/audit/entries?agency=la", "demo-health-ig", "audit-review");
        Assert.Equal(["lcpp-3"], (await Json(byAgency)).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("user").GetString()));

        using var otherAgency = await GetAsync($"/audit/entries?subject={child}", "demo-la-ig", "audit-review");
        Assert.Equal(HttpStatusCode.OK, otherAgency.StatusCode);
        Assert.Empty((await Json(otherAgency)).GetProperty("entries").EnumerateArray());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _hub.DisposeAsync();
        await _database.DisposeAsync();
    }
}

public sealed class SqliteAuditApiTests() : AuditApiTests(DatabaseEngine.Sqlite);

public sealed class PostgresAuditApiTests() : AuditApiTests(DatabaseEngine.Postgres);
