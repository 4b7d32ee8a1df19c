using System.Net;
using System.Net.Sockets;
using System.Text;
using SharingHub.Data.Storage;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Reliability;

/// <summary>
/// Request size limits (issue 28, family 5) on a real listener (Kestrel enforces them before the hub reads anything, which
/// the in-memory test server does not): a request line, a header block or a header count over the limit is refused with
/// 414 or 431, a body over a mebibyte with 413, and the hub goes on serving the next request.
/// </summary>
public sealed class RequestLimitTests : IAsyncLifetime
{
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync() => _hub = await FhirTestHub.StartListeningAsync(DatabaseEngine.Sqlite);

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    /// <summary>Sends raw HTTP/1.1 (a client library would refuse to build some of these) and returns the status line.</summary>
    private async Task<string> RawAsync(string requestHead, string body = "")
    {
        var uri = new Uri(_hub.BaseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        await using var stream = tcp.GetStream();
        var bytes = Encoding.ASCII.GetBytes(requestHead + "\r\n" + body);
        try
        {
            await stream.WriteAsync(bytes);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read everything sent.
        }
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "";
    }

    private string Head(string pathAndQuery, string extraHeaders = "") =>
        $"GET {pathAndQuery} HTTP/1.1\r\nHost: {new Uri(_hub.BaseUrl).Authority}\r\nConnection: close\r\n{extraHeaders}";

    [Fact]
    public async Task Given_requests_over_the_line_header_and_count_limits_then_414_and_431_and_the_hub_serves_the_next()
    {
        Assert.StartsWith("HTTP/1.1 414", await RawAsync(Head("/fhir/Patient?family=" + new string('a', 17 * 1024))));
        Assert.StartsWith("HTTP/1.1 431", await RawAsync(Head("/health", $"X-Big: {new string('b', 33 * 1024)}\r\n")));
        Assert.StartsWith("HTTP/1.1 431", await RawAsync(Head("/health", string.Concat(Enumerable.Range(0, 70).Select(i => $"X-H{i}: v\r\n")))));
        // Within the limits the same shapes are served: the limits are where they are said to be.
        Assert.StartsWith("HTTP/1.1 200", await RawAsync(Head("/health", $"X-Big: {new string('b', 8 * 1024)}\r\n")));

        using var tooLarge = new StringContent(new string('x', 1_100_000), Encoding.UTF8, "application/fhir+json");
        using var post = await _hub.SendAsync(HttpMethod.Post, "/fhir/Patient", "demo-health-practitioner", content: tooLarge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, post.StatusCode);
        using var http = new HttpClient { BaseAddress = new Uri(_hub.BaseUrl) };
        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
