using SharingHub.Crypto;
using SharingHub.Data;
using SharingHub.Server.Access;
using SharingHub.Server.Audit;
using SharingHub.Server.Benchmarking;
using SharingHub.Server.Fhir;
using SharingHub.Server.Health;
using SharingHub.Server.Hosting;
using SharingHub.Server.Identity;
using SharingHub.Server.Journey;
using SharingHub.Server.Linkage;
using SharingHub.Server.Mais;
using SharingHub.Server.Notifications;
using SharingHub.Server.OData;
using SharingHub.Server.Pages;
using SharingHub.Server.Statistics;
using SharingHub.Server.Workflow;
using SharingHub.Server.Writing;

// Building is inside: a setting read as the hub is put together (a trusted proxy that is not an address, a key ring that
// will not open) is explained as one line, like one read as it starts.
return await StartRefusal.RunOrExplainAsync(() =>
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions
    {
        Args = HostingDefaults.ExpandSwitches(args),
        // appsettings.json ships beside the binary; data/ stays relative to where the hub is started.
        ContentRootPath = AppContext.BaseDirectory,
    });
    builder.AddSharingHubHosting();
    builder.Services.AddSharingHubCrypto();
    builder.Services.AddSharingHubData();
    builder.Services.AddSharingHubServer();
    builder.Services.AddSharingHubIdentity();
    builder.Services.AddSharedDataProtection();
    builder.Services.AddPeopleSignIn();
    builder.Services.AddSharingHubPages();
    builder.Services.AddSharingHubAccess();
    builder.Services.AddSharingHubWriting();
    builder.Services.AddSharingHubJourney();
    builder.Services.AddSharingHubFhir();
    builder.Services.AddSharingHubOData();
    builder.Services.AddSharingHubMais();
    builder.Services.AddSharingHubNotifications();
    builder.Services.AddSharingHubStatistics();
    builder.Services.AddSharingHubCensus();
    builder.Services.AddHubApiDocument();
    builder.Services.AddSharingHubTelemetry(builder.Configuration);
    builder.Services.AddBenchmarkProfiler();

    var app = builder.Build();
    app.UseBenchmarkProfiler();
    app.UseSharingHubForwardedHeaders();
    app.UseSharingHubSecurityHeaders();
    app.UseSharingHubErrors();
    app.UseSharingHubPageAssets();
    app.UseSharingHubWorkflowBodyLimit();
    app.UseAuthentication();
    app.UseAuthorization();
    app.UseRateLimiter();
    app.MapHealthEndpoints();
    app.MapTokenService();
    app.MapDevelopmentIdentityProvider();
    app.MapMe();
    app.MapPeopleSignIn();
    app.MapPages();
    app.MapAudit();
    app.MapFhir();
    app.MapOData();
    app.MapMais();
    app.MapEnquiries();
    app.MapRequestInbox();
    app.MapStrategyMeetings();
    app.MapStrategyDiscussions();
    app.MapEmergencyActions();
    app.MapConferences();
    app.MapCaseOversight();
    app.MapStatistics();
    app.MapCinCensus();
    app.MapLeadHandOver();
    app.MapMacptNominations();
    app.MapNotifications();
    app.MapLinkageReview();
    app.MapBenchmarkBaseline();
    app.MapHubApiDocument();
    return app;
});

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
