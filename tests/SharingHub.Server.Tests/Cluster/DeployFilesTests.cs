using System.Net;
using System.Reflection;
using System.Text.RegularExpressions;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Storage;
using SharingHub.Testing;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace SharingHub.Server.Tests.Cluster;

/// <summary>
/// The deployment files (container image, compose, HAProxy, Kubernetes) cannot be run here (no container runtime or
/// registry); what can be checked is that they agree with the hub and with each other: every setting they name is one
/// the hub reads, the probes are paths the hub answers, secrets come from outside the files, and every node shares one
/// data folder.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Deploy = Path.Combine(RepositoryRoot(), "deploy");

    [Fact]
    public void Given_the_deployment_files_then_every_hub_setting_they_name_is_one_the_hub_reads()
    {
        var sections = SettingSections();
        var files = new[] { "Dockerfile", "compose.yaml", "hub.env.example", "kubernetes/sharinghub.yaml", "sharinghub.service" };
        var named = files.SelectMany(f => SettingName().Matches(File.ReadAllText(Path.Combine(Deploy, f))).Select(m => (File: f, Name: m.Value))).ToList();

        Assert.True(named.Count >= 10, "the files name the hub's settings");
        var unknown = named.Where(n =>
        {
            var parts = n.Name.Split("__");
            return parts.Length < 3 || !sections.TryGetValue(parts[1], out var properties) || !properties.Contains(parts[2]);
        }).Select(n => $"{n.File}: {n.Name}").Distinct().ToList();
        Assert.True(unknown.Count == 0, "settings the hub does not read: " + string.Join(", ", unknown));
    }

    [Fact]
    public async Task Given_the_kubernetes_probes_then_the_hub_answers_each_path_and_secrets_come_from_a_secret()
    {
        var documents = YamlDocuments(Path.Combine(Deploy, "kubernetes", "sharinghub.yaml"));
        var deployment = documents.Single(d => (string)d["kind"] == "Deployment");
        var pod = Map(Map(Map(deployment["spec"])["template"])["spec"]);
        var container = Map(List(pod["containers"]).Single());
        var probes = new[] { "startupProbe", "readinessProbe", "livenessProbe" }.ToDictionary(p => p, p => (string)Map(Map(container[p])["httpGet"])["path"]);
        Assert.Equal("/health", probes["readinessProbe"]);
        Assert.Equal("/health/live", probes["livenessProbe"]);

        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var hub = new HubFactory(database);
        using var client = hub.CreateClient();
        foreach (var (probe, path) in probes)
        {
            using var answer = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{probe} {path}: {answer.StatusCode}");
        }

        var env = List(container["env"]).Select(Map).ToList();
        Assert.DoesNotContain(env, e => SecretName().IsMatch((string)e["name"]));
        Assert.Contains(List(container["envFrom"]).Select(Map), e => e.ContainsKey("secretRef"));
        Assert.Equal("true", Map(pod["securityContext"])["runAsNonRoot"]);
        Assert.Equal("true", Map(container["securityContext"])["readOnlyRootFilesystem"]);
        var replicas = int.Parse((string)Map(deployment["spec"])["replicas"], System.Globalization.CultureInfo.InvariantCulture);
        var budget = documents.Single(d => (string)d["kind"] == "PodDisruptionBudget");
        var minAvailable = int.Parse((string)Map(budget["spec"])["minAvailable"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(minAvailable, 1, replicas - 1);
        Assert.Contains(documents, d => (string)d["kind"] == "Service");
    }

    [Fact]
    public void Given_the_compose_file_then_every_hub_node_shares_one_data_folder_and_haproxy_balances_exactly_those_nodes()
    {
        var compose = YamlDocuments(Path.Combine(Deploy, "compose.yaml")).Single();
        var services = Map(compose["services"]);
        var hubs = services.Where(s => Map(s.Value).ContainsKey("build")).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["hub1", "hub2", "hub3"], hubs);
        var dockerfile = File.ReadAllText(Path.Combine(Deploy, "Dockerfile"));
        var keyRing = Regex.Match(dockerfile, @"SharingHub__KeyRing__Path=(\S+)").Groups[1].Value;
        foreach (var hub in hubs)
        {
            var node = Map(services[hub]);
            var volumes = List(node["volumes"]).Cast<string>().ToList();
            Assert.Contains(volumes, v => v.Split(':') is [var name, var path] && name == "hub-data" && keyRing.StartsWith(path + "/", StringComparison.Ordinal));
            var environment = Map(node["environment"]);
            Assert.DoesNotContain(environment.Keys, k => SecretName().IsMatch(k));
            Assert.Equal("hub.env", node["env_file"]);
        }

        var haproxy = File.ReadAllLines(Path.Combine(Deploy, "haproxy.cfg")).Select(l => l.Trim()).ToList();
        var servers = haproxy.Where(l => l.StartsWith("server ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        Assert.Equal(hubs, servers.Select(s => s[1]).Order(StringComparer.Ordinal));
        var port = Regex.Match(dockerfile, @"EXPOSE (\d+)").Groups[1].Value;
        Assert.All(servers, s => Assert.Equal($"{s[1]}:{port}", s[2]));
        Assert.Contains("option httpchk GET /health", haproxy);
        Assert.Contains("hub.env", File.ReadAllLines(Path.Combine(Deploy, ".gitignore")));
    }

    /// <summary>Each configuration section the hub binds (a class with a Section constant), with its settings' names.</summary>
    private static Dictionary<string, HashSet<string>> SettingSections()
    {
        var sections = new[] { typeof(Program).Assembly, typeof(DatabaseOptions).Assembly, typeof(LocalKeyRingOptions).Assembly }
            .SelectMany(a => a.GetTypes())
            .Select(t => (Type: t, Section: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(t => t.Section?.StartsWith("SharingHub:", StringComparison.Ordinal) == true && t.Type.GetProperties().Any(p => p.CanWrite))
            .ToDictionary(t => t.Section!["SharingHub:".Length..],
                t => t.Type.GetProperties().Where(p => p.CanWrite).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        sections["KeyRing"] = typeof(LocalKeyRingOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // Read directly from configuration (SecurityHeaders.UseSharingHubForwardedHeaders), not bound to a class.
        sections["Hosting"] = new HashSet<string>(["TrustedProxies"], StringComparer.OrdinalIgnoreCase);
        return sections;
    }

    private static List<Dictionary<string, object>> YamlDocuments(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        using var reader = new StringReader(File.ReadAllText(path));
        var parser = new MergingParser(new Parser(reader));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<string, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Map(deserializer.Deserialize<object>(parser)!));
        }
        return documents;
    }

    private static Dictionary<string, object> Map(object node) =>
        ((Dictionary<object, object>)node).ToDictionary(e => (string)e.Key, e => e.Value, StringComparer.Ordinal);

    private static List<object> List(object node) => (List<object>)node;

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SharingHub.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName ?? throw new InvalidOperationException("the repository root (SharingHub.sln) is not above the test binaries");
    }

    [GeneratedRegex(@"SharingHub__[A-Za-z0-9_]+")]
    private static partial Regex SettingName();

    [GeneratedRegex("ConnectionString|Secret|Password|Passphrase", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
