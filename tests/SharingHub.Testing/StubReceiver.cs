using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SharingHub.Testing;

/// <summary>A partner system's webhook receiver on 127.0.0.1: records what arrives, and fails the first N deliveries when told to.</summary>
public sealed class StubReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _failuresLeft;

    private StubReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }
    public ConcurrentQueue<(IReadOnlyDictionary<string, string> Headers, string Body)> Received { get; } = new();
    public int Attempts => _attempts;
    private int _attempts;

    /// <summary>How many of the next deliveries answer 500; -1 for all of them.</summary>
    public int FailNext
    {
        set => _failuresLeft = value;
    }

    public static async Task<StubReceiver> StartAsync()
    {
        var app = LoopbackApp.Create();
        StubReceiver? stub = null;
        app.MapPost("/hook", async (HttpContext http) =>
        {
            Interlocked.Increment(ref stub!._attempts);
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            if (stub._failuresLeft != 0)
            {
                if (stub._failuresLeft > 0)
                {
                    stub._failuresLeft--;
                }
                return Results.StatusCode(500);
            }
            stub.Received.Enqueue((http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            return Results.Ok();
        });
        await app.StartAsync();
        var address = LoopbackApp.AddressOf(app);
        stub = new StubReceiver(app, address + "/hook");
        return stub;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
