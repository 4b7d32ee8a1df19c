using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using SharingHub.Policies.Trust;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Mais;

/// <summary>
/// Asks registered partners the person-info-query, each with its own credentials (client credentials
/// with an assertion signed by the hub's key for that partner), time-out, concurrency limit, retries
/// with backoff and circuit breaker. Each partner's answer is read with a size limit and checked before
/// it is used; a partner that fails, is slow or answers nonsense is reported as such and never fails
/// the whole query. Nothing fetched is stored.
/// </summary>
internal sealed class PartnerGateway(TrustRegistryHolder registry, IOptions<MaisOptions> options, TimeProvider clock, ILogger<PartnerGateway> logger) : IDisposable
{
    // The hub sets each exchange's traceparent itself (its correlation id), rather than whatever activity happens to be current.
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5), ActivityHeadersPropagator = null })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly ConcurrentDictionary<string, PartnerLane> _lanes = new(StringComparer.Ordinal);

    private DateTimeOffset Now => clock.GetUtcNow();

    public IReadOnlyList<RegisteredPartner> Partners => registry.Current.Partners;

    public void Dispose()
    {
        _http.Dispose();
        foreach (var lane in _lanes.Values)
        {
            lane.Gate.Dispose();
        }
    }

    /// <summary>
    /// Asks one partner. <paramref name="correlation"/> (a W3C trace id) goes in the traceparent of every request of the
    /// exchange, token request included, so the partner's audit entry and this hub's carry the same id.
    /// </summary>
    public async Task<PartnerResult> AskAsync(RegisteredPartner partner, PersonQuery query, string purpose, string correlation, CancellationToken deadline)
    {
        var lane = _lanes.GetOrAdd(partner.Name, _ => new PartnerLane(partner, Pipeline(partner)));
        var watch = Stopwatch.StartNew();
        var attempts = 0;
        PartnerResult Result(string state, PersonAnswer? answer = null, string? detail = null) =>
            new(partner.Name, partner.Agency, state, watch.ElapsedMilliseconds, attempts, answer, detail);
        if (!await lane.Gate.WaitAsync(TimeSpan.Zero, CancellationToken.None) && !await WaitAsync(lane.Gate, deadline))
        {
            return Result(PartnerResult.Busy, detail: $"the partner's {partner.MaxConcurrency} concurrent queries were all in use until the deadline");
        }
        try
        {
            var body = MaisMessages.Query(query).ToJsonString();
            string? tokenProblem = null;
            // The token request is part of each attempt: inside the partner's time-out, retried like the query, and counted by
            // its circuit breaker, so a hung or failing token endpoint costs one time-out and then opens the circuit.
            using var response = await lane.Pipeline.ExecuteAsync(async ct =>
            {
                attempts++;
                tokenProblem = null;
                var token = await lane.TokenAsync(this, correlation, ct);
                if (token.Failed is { } failed)
                {
                    tokenProblem = token.Problem;
                    return failed;
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(partner.BaseUrl.ToString().TrimEnd('/') + "/Patient/$person-info-query"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/fhir+json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
                request.Headers.Accept.ParseAdd("application/fhir+json");
                request.Headers.TryAddWithoutValidation(Audit.PurposeOfUse.PurposeHeader, purpose);
                request.Headers.TryAddWithoutValidation(Audit.TraceParent.Header, Audit.TraceParent.For(correlation));
                return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }, deadline);
            if (tokenProblem is not null)
            {
                return Result((int)response.StatusCode >= 500 ? PartnerResult.Error : PartnerResult.AuthRefused, detail: tokenProblem);
            }
            if (response.StatusCode is HttpStatusCode.Unauthorized)
            {
                lane.ForgetToken();
                return Result(PartnerResult.AuthRefused, detail: "the partner refused the hub's access token");
            }
            if (!response.IsSuccessStatusCode)
            {
                return Result((int)response.StatusCode >= 500 ? PartnerResult.Error : PartnerResult.Refused, detail: $"the partner answered HTTP {(int)response.StatusCode}");
            }
            var (json, problem) = await ReadLimitedAsync(response, MaisMessages.MaxAnswerBytes, deadline);
            if (problem is not null)
            {
                return Result(PartnerResult.Invalid, detail: problem);
            }
            var (answer, invalid) = MaisMessages.ReadAnswer(json, partner.Agency, partner.SpeaksFor);
            return answer is null ? Result(PartnerResult.Invalid, detail: invalid)
                : Result(PartnerResult.Answered, answer, answer.Ignored.Count == 0 ? null : $"read in part; left out: {string.Join("; ", answer.Ignored)}");
        }
        catch (BrokenCircuitException)
        {
            return Result(PartnerResult.CircuitOpen, detail: "the partner failed repeatedly of late; the hub is not asking it for a while");
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutRejectedException)
        {
            return Result(PartnerResult.Timeout, detail: deadline.IsCancellationRequested ? "no answer before the query's deadline" : $"no answer within {partner.Timeout.TotalMilliseconds:N0} ms");
        }
        catch (HttpRequestException e)
        {
            logger.LogWarning("Partner {Partner} unreachable: {Error}", partner.Name, e.HttpRequestError);
            return Result(PartnerResult.Error, detail: "the partner could not be reached");
        }
        finally
        {
            lane.Gate.Release();
        }
    }

    private static async Task<bool> WaitAsync(SemaphoreSlim gate, CancellationToken deadline)
    {
        try
        {
            await gate.WaitAsync(deadline);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<(JsonElement Json, string? Problem)> ReadLimitedAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        var type = response.Content.Headers.ContentType?.MediaType;
        if (type is not ("application/fhir+json" or "application/json"))
        {
            return (default, $"the answer is not JSON ({(type is null ? "no content type" : type[..Math.Min(type.Length, 40)])})");
        }
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        if (await Hosting.BoundedBody.ReadAsync(stream, response.Content.Headers.ContentLength, limit, ct) is not { } body)
        {
            return (default, $"the answer is larger than {limit} bytes");
        }
        try
        {
            using var doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (default, "the answer is not valid JSON");
        }
    }

    private ResiliencePipeline<HttpResponseMessage> Pipeline(RegisteredPartner partner)
    {
        var o = options.Value;
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.TooManyRequests);
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = clock }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = o.Retries,
                Delay = TimeSpan.FromMilliseconds(o.RetryDelayMs),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                FailureRatio = 0.5,
                MinimumThroughput = o.BreakAfterFailures,
                SamplingDuration = TimeSpan.FromSeconds(60),
                BreakDuration = TimeSpan.FromSeconds(o.BreakSeconds),
            })
            .AddTimeout(partner.Timeout)
            .Build();
    }

    /// <summary>One partner's resilience pipeline, concurrency gate and cached access token.</summary>
    private sealed class PartnerLane(RegisteredPartner partner, ResiliencePipeline<HttpResponseMessage> pipeline)
    {
        private readonly SemaphoreSlim _tokenLock = new(1, 1);
        private (string Token, DateTimeOffset Until)? _token;

        public SemaphoreSlim Gate { get; } = new(partner.MaxConcurrency, partner.MaxConcurrency);
        public ResiliencePipeline<HttpResponseMessage> Pipeline => pipeline;

        public void ForgetToken() => _token = null;

        /// <summary>
        /// The cached access token, or a new one from the partner's token endpoint. A refusal comes back as a response with the
        /// token endpoint's status (a server error or 429 is retried and counted like the query's own), with its reason.
        /// </summary>
        public async Task<(string? AccessToken, HttpResponseMessage? Failed, string? Problem)> TokenAsync(PartnerGateway gateway, string correlation, CancellationToken attempt)
        {
            await _tokenLock.WaitAsync(attempt);
            try
            {
                var now = gateway.Now;
                if (_token is { } cached && cached.Until > now)
                {
                    return (cached.Token, null, null);
                }
                using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, partner.TokenEndpoint)
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["grant_type"] = "client_credentials",
                        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                        ["client_assertion"] = Assertion(now.UtcDateTime),
                        ["scope"] = partner.Scope,
                    }),
                };
                tokenRequest.Headers.TryAddWithoutValidation(Audit.TraceParent.Header, Audit.TraceParent.For(correlation));
                using var response = await gateway._http.SendAsync(tokenRequest, attempt);
                if (!response.IsSuccessStatusCode)
                {
                    return (null, new HttpResponseMessage(response.StatusCode), $"the partner's token endpoint refused the hub (HTTP {(int)response.StatusCode})");
                }
                var (json, problem) = await PartnerGateway.ReadLimitedAsync(response, 16 * 1024, attempt);
                if (problem is not null || MaisMessages.Text(json, "access_token") is not { Length: > 0 and < 8192 } token)
                {
                    return (null, new HttpResponseMessage(HttpStatusCode.Unauthorized), "the partner's token endpoint answered without an access token");
                }
                var lifetime = json.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? Math.Clamp(seconds, 30, 3600) : 300;
                _token = (token, now.AddSeconds(lifetime - 20));
                return (token, null, null);
            }
            finally
            {
                _tokenLock.Release();
            }
        }

        /// <summary>A client assertion (SMART Backend Services): iss = sub = the hub's client id there, aud = the token endpoint, five minutes, a fresh jti.</summary>
        // The key is read from its file for each assertion and disposed after: a cached signer would outlive it,
        // and two partners' keys may share a key id.
        private static readonly CryptoProviderFactory Uncached = new() { CacheSignatureProviders = false };

        private string Assertion(DateTime now)
        {
            var pem = File.ReadAllText(partner.KeyFile);
            var descriptor = new SecurityTokenDescriptor
            {
                Issuer = partner.ClientId,
                Audience = partner.TokenEndpoint.ToString(),
                IssuedAt = now,
                NotBefore = now,
                Expires = now.AddMinutes(4),
                Claims = new Dictionary<string, object> { ["sub"] = partner.ClientId, ["jti"] = Guid.NewGuid().ToString("N") },
            };
            var kid = $"{partner.ClientId}-1";
            if (pem.Contains("RSA", StringComparison.Ordinal))
            {
                using var rsa = RSA.Create();
                rsa.ImportFromPem(pem);
                descriptor.SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = kid, CryptoProviderFactory = Uncached }, SecurityAlgorithms.RsaSha384);
                return new JsonWebTokenHandler().CreateToken(descriptor);
            }
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(pem);
            var algorithm = ecdsa.KeySize switch { 256 => SecurityAlgorithms.EcdsaSha256, 521 => SecurityAlgorithms.EcdsaSha512, _ => SecurityAlgorithms.EcdsaSha384 };
            descriptor.SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = kid, CryptoProviderFactory = Uncached }, algorithm);
            return new JsonWebTokenHandler().CreateToken(descriptor);
        }
    }
}
