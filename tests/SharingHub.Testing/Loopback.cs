using System.Net;
using System.Net.Sockets;

namespace SharingHub.Testing;

/// <summary>The loopback interface as the tests use it.</summary>
public static class Loopback
{
    /// <summary>A loopback port nobody listens on now (a server to start there, or one that answers nothing).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
