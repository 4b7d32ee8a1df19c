using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace SharingHub.Benchmarks;

/// <summary>
/// HAProxy (Debian's package) on 127.0.0.1 in front of hub nodes, as a partnership would run it: round robin, each node
/// checked on <c>/health</c> every half second and taken out after two failures, a request whose connection to a node
/// fails sent to another, and each answer marked with the node that served it (<c>X-SharingHub-Node</c>) so a test can
/// see where its requests went. Its runtime API (a Unix socket) puts nodes in and out of service.
/// </summary>
internal sealed class HaProxy : IAsyncDisposable
{
    public const string NodeHeader = "X-SharingHub-Node";
    private readonly Process _process;
    private readonly string _socket;

    private HaProxy(Process process, string socket, Uri url)
    {
        _process = process;
        _socket = socket;
        Url = url;
    }

    public Uri Url { get; }

    /// <param name="folder">Where its configuration and admin socket go.</param>
    /// <param name="port">The port it listens on (the hub's public address).</param>
    /// <param name="nodes">Each node's name and loopback port.</param>
    public static async Task<HaProxy> StartAsync(string folder, int port, IReadOnlyList<(string Name, int Port)> nodes)
    {
        var binary = new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("haproxy is not installed (tests/run.sh installs it: apt-get install haproxy)");
        Directory.CreateDirectory(folder);
        var socket = Path.Combine(folder, "haproxy-admin.sock");
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $"""
            global
              maxconn 4000
              stats socket {socket} mode 600 level admin
            defaults
              mode http
              timeout connect 2s
              timeout client 60s
              timeout server 60s
              # A connection a node refuses (killed, restarting) is tried again on another node: nothing was sent to it.
              retries 2
              option redispatch
              option forwardfor
            frontend hub
              bind 127.0.0.1:{port}
              default_backend nodes
            backend nodes
              balance roundrobin
              option httpchk
              http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1
              http-check expect status 200
              default-server check inter 500ms fall 2 rise 2
              http-response set-header {NodeHeader} %[srv_name]
            """);
        foreach (var (name, nodePort) in nodes)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"  server {name} 127.0.0.1:{nodePort}");
        }
        var file = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(file, config.ToString());
        var check = Process.Start(new ProcessStartInfo(binary, ["-c", "-q", "-f", file]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var checkErrors = await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException($"haproxy refused its configuration: {checkErrors}");
        }
        // -db: in the foreground, so it goes when this program kills it.
        var process = Process.Start(new ProcessStartInfo(binary, ["-db", "-f", file]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        };
        var proxy = new HaProxy(process, socket, new Uri($"http://127.0.0.1:{port}"));
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(30); await Task.Delay(200))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited with code {process.ExitCode}");
            }
            if (File.Exists(socket) && (await proxy.UpAsync()).Count == nodes.Count)
            {
                return proxy;
            }
        }
        await proxy.DisposeAsync();
        throw new TimeoutException("haproxy did not see every node healthy within 30 s");
    }

    /// <summary>The nodes HAProxy now sends requests to (checked healthy and not in maintenance).</summary>
    public async Task<IReadOnlyList<string>> UpAsync()
    {
        // "show stat" is CSV: pxname,svname,...,status (18th column).
        var lines = (await CommandAsync("show stat")).Split('\n');
        return lines.Select(l => l.Split(',')).Where(c => c.Length > 17 && c[0] == "nodes" && c[1] is not ("BACKEND" or "FRONTEND") && c[17] == "UP")
            .Select(c => c[1]).ToList();
    }

    /// <summary>Takes a node out of service (maintenance) or puts it back.</summary>
    public Task SetInServiceAsync(string node, bool inService) => CommandAsync($"set server nodes/{node} state {(inService ? "ready" : "maint")}");

    /// <summary>Waits until exactly these nodes are up (after a change of service, a kill or a restart).</summary>
    public async Task<bool> WaitForUpAsync(IReadOnlyCollection<string> nodes, TimeSpan within)
    {
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < within; await Task.Delay(100))
        {
            var up = await UpAsync();
            if (up.Count == nodes.Count && nodes.All(up.Contains))
            {
                return true;
            }
        }
        return false;
    }

    private async Task<string> CommandAsync(string command)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_socket));
        await socket.SendAsync(Encoding.ASCII.GetBytes(command + "\n"));
        var answer = new StringBuilder();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return answer.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
