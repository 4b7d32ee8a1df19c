using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;
using SharingHub.Server.Tests.Fhir;

namespace SharingHub.Server.Tests.Access;

/// <summary>
/// Actions are policy data (issue 21): who may open an enquiry, decide a referral, write records, answer an information
/// request or read notifications is in policies/actions.yaml, declared on each endpoint and decided before its handler,
/// never a role list or agency code in C#.
/// </summary>
public abstract partial class ActionPolicyTests(DatabaseEngine engine) : HubTest(engine)
{
    [Fact]
    public void Given_the_hubs_source_then_no_role_list_or_agency_code_decides_who_may_act()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SharingHub.sln")))
        {
            root = root.Parent;
        }
        Assert.NotNull(root);
        var files = Directory.GetFiles(Path.Combine(root.FullName, "src", "SharingHub.Server"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            // The development identity provider issues the demo users' roles (as an agency's IdP would); it decides nothing.
            .Where(f => Path.GetFileName(f) != "DevelopmentIdentityProvider.cs").ToList();

        var found = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
            .Where(l => AuthorisationLiteral().IsMatch(l.Text)).Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}").ToList();

        Assert.True(files.Count > 100, $"only {files.Count} files read");
        Assert.Empty(found);
    }

    [Fact]
    public void Given_every_endpoint_that_changes_what_the_hub_holds_then_it_declares_the_action_it_takes()
    {
        var endpoints = Hub.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        string[] expected =
        [
            "/enquiries/", "/enquiries/{id:guid}/members", "/enquiries/{id:guid}/members/{memberId:guid}", "/enquiries/{id:guid}/close",
            "/enquiries/{id:guid}/information-requests", "/enquiries/{id:guid}/strategy-meetings", "/enquiries/{id:guid}/fgdm",
            "/information-requests/{id:guid}/responses", "/fhir/Patient", "/fhir/Patient/{id}", "/fhir/Observation", "/fhir/Task", "/fhir/",
            "/fhir/Task/{id}/$decide", "/odata/{set}", "/odata/{entity}", "/notifications",
            "/strategy-discussions/", "/strategy-discussions/{id:guid}/decision", "/enquiries/{id:guid}/emergency-actions", "/enquiries/{id:guid}/conferences",
            "/enquiries/{id:guid}/core-group-meetings", "/enquiries/{id:guid}/pre-proceedings", "/enquiries/{id:guid}/lead", "/macpt/nominations/",
            "/macpt/nominations/{id:guid}", "/oversight/cases", "/statistics/measures", "/statistics/measures.csv",
        ];

        var undeclared = expected.Where(path => !endpoints.Any(e => e.RoutePattern.RawText == path && e.Metadata.GetMetadata<TakesActionAttribute>() is not null)).ToList();

        Assert.Empty(undeclared);
    }

    [Theory]
    [InlineData("demo-police-officer", "/enquiries", "enquiry.open", "application/problem+json")]
    [InlineData("demo-police-ig", "/fhir/Patient", "record.write", "application/fhir+json")]
    [InlineData("demo-la-ig", "/odata/People", "record.write", null)]
    public async Task Given_a_caller_the_policy_does_not_let_take_an_action_then_it_is_refused_before_anything_is_read_naming_the_action(
        string user, string path, string action, string? mediaType)
    {
        using var response = await Hub.SendAsync(HttpMethod.Post, path, user, content: JsonContent.Create(new { }));

        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(action, body, StringComparison.Ordinal);
        if (mediaType is not null)
        {
            Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        }
        else
        {
            Assert.Equal("Forbidden", (await FhirTestHub.JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
        }
    }

    /// <summary>Role lists and agency codes deciding authorisation: <c>Roles.Contains("...")</c>, <c>Agency == "..."</c>, <c>["lcpp", ...]</c>.</summary>
    [GeneratedRegex("""(?<![A-Za-z])Roles\.(Contains|Overlaps)\((?!.*ContainsKey)|Agency\s*[!=]=\s*"|=\s*\[\s*"(system|lcpp|front-door|fhlp|macpt-member|ig-officer|admin)"\s*[,\]](?!\s*=)""")]
    private static partial Regex AuthorisationLiteral();
}

public sealed class ActionPolicySqliteTests() : ActionPolicyTests(DatabaseEngine.Sqlite);

public sealed class ActionPolicyPostgresTests() : ActionPolicyTests(DatabaseEngine.Postgres);

/// <summary>The actions follow the policy folder the hub is given: an edited actions.yaml changes who may act, with no code change.</summary>
public sealed class EditedActionPolicyTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "sharinghub-actions-" + Guid.NewGuid().ToString("N")[..12], "policies");
    private FhirTestHub _hub = null!;

    public async Task InitializeAsync()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "policies");
        foreach (var file in Directory.GetFiles(shipped, "*.yaml", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_folder, Path.GetRelativePath(shipped, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var actions = Path.Combine(_folder, "actions.yaml");
        File.WriteAllText(actions, File.ReadAllText(actions).Replace("  - code: notifications.read\n    description: Read the agency's notifications (owners told of disclosures, referrers told of decisions).\n    agencies: any\n    roles: [system, ig-officer]",
            "  - code: notifications.read\n    description: Read the agency's notifications (owners told of disclosures, referrers told of decisions).\n    agencies: any\n    roles: [system, ig-officer, macpt-member]", StringComparison.Ordinal));
        _hub = await FhirTestHub.StartAsync(DatabaseEngine.Sqlite, new Dictionary<string, string?> { ["SharingHub:Policies:Path"] = _folder });
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);
    }

    [Fact]
    public async Task Given_actions_yaml_grants_practitioners_the_notifications_then_they_read_them_and_nobody_else_gains_anything()
    {
        using var practitioner = await _hub.GetAsync("/notifications", "demo-police-officer");
        using var frontDoor = await _hub.GetAsync("/notifications", "demo-police-front-door");

        Assert.Equal(HttpStatusCode.OK, practitioner.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, frontDoor.StatusCode);
    }
}
