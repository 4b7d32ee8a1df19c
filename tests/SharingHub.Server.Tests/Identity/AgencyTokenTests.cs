using System.Net;
using System.Text.Json;

namespace SharingHub.Server.Tests.Identity;

public sealed class AgencyTokenTests(IdentityFixture hub) : IClassFixture<IdentityFixture>
{
    [Theory]
    [InlineData("la")]
    [InlineData("police")]
    [InlineData("health")]
    [InlineData("education")]
    [InlineData("probation")]
    public async Task Given_a_token_from_an_agencys_own_issuer_when_used_then_it_is_accepted_as_that_agency(string agency)
    {
        var token = hub.Idps[agency].Token(IdentityFixture.Audience, subject: $"{agency}-worker-7", roles: ["macpt-member", "not-a-hub-role"]);

        using var response = await hub.GetMeAsync(token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var me = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(agency, me.RootElement.GetProperty("agency").GetString());
        Assert.Equal($"{agency}-worker-7", me.RootElement.GetProperty("subject").GetString());
        Assert.Equal(["macpt-member"], me.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Given_a_police_token_that_claims_to_be_from_health_when_used_then_it_is_refused()
    {
        var forged = hub.Police.Token(IdentityFixture.Audience, payload: p => p["iss"] = hub.Health.Issuer);

        using var response = await hub.GetMeAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Given_a_police_token_with_an_agency_claim_saying_health_then_the_agency_is_still_police()
    {
        var token = hub.Police.Token(IdentityFixture.Audience, payload: p => p["agency"] = "health");

        using var response = await hub.GetMeAsync(token);

        using var me = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("police", me.RootElement.GetProperty("agency").GetString());
    }

    [Fact]
    public async Task Given_an_agency_rotates_its_key_mid_test_then_tokens_signed_with_the_new_key_are_accepted()
    {
        var idp = hub.Idps["education"];
        using (var before = await hub.GetMeAsync(idp.Token(IdentityFixture.Audience)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        var fetches = idp.JwksRequests;
        var newKey = idp.Rotate();

        using var after = await hub.GetMeAsync(idp.Token(IdentityFixture.Audience, key: newKey));

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(fetches + 1, idp.JwksRequests);
    }

    [Fact]
    public async Task Given_an_agency_drops_a_key_from_its_key_set_then_a_token_signed_with_it_and_accepted_before_is_refused_once_the_hub_has_the_new_set()
    {
        var idp = hub.Idps["la"];
        var old = idp.Token(IdentityFixture.Audience, subject: "la-worker-dropped");
        using (var before = await hub.GetMeAsync(old))
        {
            // Accepted, and now held validated in the hub's token cache.
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }
        var newKey = idp.Rotate(dropOld: true);
        // A token with the new key's id makes the hub fetch the issuer's key set again: the old key is no longer in it.
        using (var rotated = await hub.GetMeAsync(idp.Token(IdentityFixture.Audience, key: newKey)))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        using var after = await hub.GetMeAsync(old);

        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Given_many_tokens_with_unknown_key_ids_then_the_issuers_jwks_is_fetched_at_most_three_times_a_minute()
    {
        var idp = hub.Idps["probation"];
        var fetches = idp.JwksRequests;
        for (var i = 0; i < 20; i++)
        {
            using var response = await hub.GetMeAsync(idp.Token(IdentityFixture.Audience, key: SharingHub.Testing.TestKey.NewRsa(kid: $"unknown-{i}")));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.InRange(idp.JwksRequests - fetches, 0, 3);
    }

    [Fact]
    public async Task Given_no_token_when_a_protected_endpoint_is_called_then_it_answers_401_with_a_bearer_challenge()
    {
        using var response = await hub.GetMeAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"sharinghub\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [InlineData("education", "school-hillside", "school-hillside", "900001")]
    [InlineData("health", "practice-riverside", "practice-riverside", "Y00001")]
    [InlineData("education", null, "education", "E09000099")]
    [InlineData("police", null, "police", "99")]
    public async Task Given_a_token_naming_an_organisation_of_its_agency_then_the_person_acts_for_it_and_none_named_is_the_agencys_default(
        string agency, string? org, string expected, string id)
    {
        var token = hub.Idps[agency].Token(IdentityFixture.Audience, payload: p =>
        {
            if (org is not null)
            {
                p["org"] = org;
            }
        });

        using var response = await hub.GetMeAsync(token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var me = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var organisation = me.RootElement.GetProperty("organisation");
        Assert.Equal((expected, id), (organisation.GetProperty("code").GetString(), organisation.GetProperty("id").GetString()));
    }

    [Theory]
    [InlineData("school-hillside")]
    [InlineData("trust-northgate")]
    [InlineData("no-such-school")]
    public async Task Given_a_police_token_naming_an_organisation_outside_policing_then_it_is_refused_naming_why(string org)
    {
        var token = hub.Police.Token(IdentityFixture.Audience, payload: p => p["org"] = org);

        using var response = await hub.GetMeAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("organisation", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }
}
