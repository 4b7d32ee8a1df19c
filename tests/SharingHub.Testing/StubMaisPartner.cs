using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SharingHub.Testing;

/// <summary>How a stub partner behaves when asked the person-info-query.</summary>
public enum PartnerBehaviour
{
    /// <summary>Answers at once: known, a contact, an open involvement.</summary>
    Fast,

    /// <summary>Answers "not known" after a delay longer than any sensible time-out.</summary>
    Slow,

    /// <summary>Always fails with HTTP 500.</summary>
    Errors,

    /// <summary>Fails twice with HTTP 503, then answers like Fast.</summary>
    Flaky,

    /// <summary>Answers a Parameters without the match parameter and with a script in a name.</summary>
    Malformed,

    /// <summary>Answers two megabytes of parameters.</summary>
    Oversized,

    /// <summary>Its token endpoint refuses the hub.</summary>
    RefusesToken,

    /// <summary>Its token endpoint accepts the connection and never answers.</summary>
    HangingToken,

    /// <summary>Answers like Fast with a parameter and an involvement part from a later version of the standard.</summary>
    Extended,
}

/// <summary>
/// Partner systems that answer the MAIS person-info-query, on 127.0.0.1: one server, one path per
/// partner (/{name}/token and /{name}/fhir/Patient/$person-info-query), each with its behaviour. It
/// counts the calls it gets and keeps the last query each partner received.
/// </summary>
public sealed class StubMaisPartner : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    private StubMaisPartner(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }
    public ConcurrentDictionary<string, PartnerBehaviour> Behaviours { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, string> LastQuery { get; } = new(StringComparer.Ordinal);

    /// <summary>The purpose of use each partner was last asked under (its X-Purpose-Of-Use header).</summary>
    public ConcurrentDictionary<string, string> LastPurpose { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, string> LastAssertion { get; } = new(StringComparer.Ordinal);

    public int CallsTo(string partner) => _calls.GetValueOrDefault(partner);

    /// <summary>How many token requests each partner's token endpoint received.</summary>
    public int TokenCallsTo(string partner) => _calls.GetValueOrDefault(partner + "/token");

    public const string Answer = """
        {"resourceType":"Parameters","parameter":[
          {"name":"match","valueBoolean":true},
          {"name":"contact","resource":{"resourceType":"Organization","name":"Stub Partner Safeguarding Hub","telecom":[{"system":"phone","value":"01234 000000","use":"work"}]}},
          {"name":"involvement","part":[{"name":"service","valueString":"Youth offending service"},{"name":"status","valueCode":"open"},{"name":"period","valuePeriod":{"start":"2026-03-01T00:00:00Z"}}]}
        ]}
        """;

    public static async Task<StubMaisPartner> StartAsync()
    {
        var app = LoopbackApp.Create();
        StubMaisPartner? stub = null;
        app.MapPost("/{name}/token", async (string name, HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            stub!.LastAssertion[name] = form["client_assertion"].ToString();
            stub._calls.AddOrUpdate(name + "/token", 1, (_, n) => n + 1);
            if (stub.Behaviours.GetValueOrDefault(name) == PartnerBehaviour.HangingToken)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted);
            }
            return stub.Behaviours.GetValueOrDefault(name) == PartnerBehaviour.RefusesToken || form["grant_type"] != "client_credentials"
                ? Results.Json(new { error = "invalid_client" }, statusCode: 401)
                : Results.Json(new { access_token = "stub-token-" + name, token_type = "Bearer", expires_in = 300 });
        });
        app.MapPost("/{name}/fhir/Patient/$person-info-query", async (string name, HttpContext http) =>
        {
            var calls = stub!._calls.AddOrUpdate(name, 1, (_, n) => n + 1);
            if (http.Request.Headers.Authorization.ToString() != "Bearer stub-token-" + name)
            {
                return Results.StatusCode(401);
            }
            using var reader = new StreamReader(http.Request.Body);
            stub.LastQuery[name] = await reader.ReadToEndAsync();
            stub.LastPurpose[name] = http.Request.Headers["X-Purpose-Of-Use"].ToString();
            switch (stub.Behaviours.GetValueOrDefault(name))
            {
                case PartnerBehaviour.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(20), http.RequestAborted);
                    return Fhir("""{"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":false}]}""");
                case PartnerBehaviour.Errors:
                    return Results.StatusCode(500);
                case PartnerBehaviour.Flaky when calls <= 2:
                    return Results.StatusCode(503);
                case PartnerBehaviour.Malformed:
                    return Fhir("""{"resourceType":"Parameters","parameter":[{"name":"contact","resource":{"resourceType":"Organization","name":"<script>alert(1)</script>\u0007"}}]}""");
                case PartnerBehaviour.Oversized:
                    var many = string.Join(',', Enumerable.Repeat("""{"name":"involvement","part":[{"name":"service","valueString":"x"},{"name":"status","valueCode":"open"}]}""", 30_000));
                    return Fhir("""{"resourceType":"Parameters","parameter":[{"name":"match","valueBoolean":true},""" + many + "]}");
                case PartnerBehaviour.Extended:
                    return Fhir(Answer.Replace("{\"name\":\"status\",\"valueCode\":\"open\"}", "{\"name\":\"status\",\"valueCode\":\"open\"},{\"name\":\"leadWorker\",\"valueString\":\"A. Worker\"}", StringComparison.Ordinal)
                        .Replace("{\"name\":\"match\",\"valueBoolean\":true},", "{\"name\":\"match\",\"valueBoolean\":true},{\"name\":\"nextReview\",\"valueDate\":\"2027-01-01\"},", StringComparison.Ordinal));
                default:
                    return Fhir(Answer);
            }
        });
        await app.StartAsync();
        var address = LoopbackApp.AddressOf(app);
        stub = new StubMaisPartner(app, address);
        return stub;
    }

    private static IResult Fhir(string json) => Results.Text(json, "application/fhir+json", Encoding.UTF8);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
