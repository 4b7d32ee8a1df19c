using Microsoft.Extensions.Options;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;

namespace SharingHub.Server.Hosting;

internal static class PolicyHosting
{
    public static IServiceCollection AddSharingHubPolicies(this IServiceCollection services)
    {
        services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section);
        services.AddSingleton(sp =>
        {
            var path = sp.GetRequiredService<IOptions<PolicyOptions>>().Value.Path;
            var policy = PolicyLoader.Load(path, RecordFields.All);
            sp.GetRequiredService<ILogger<PolicyDecisionPoint>>().LogInformation(
                "Policies loaded: version {PolicyVersion}, {Purposes} purposes, {DataClasses} data classes, {Rules} rules",
                policy.Version, policy.Purposes.Count, policy.DataClasses.Count, policy.Rules.Count);
            return new PolicyDecisionPoint(policy);
        });
        services.AddSingleton(sp =>
        {
            var calendar = CalendarLoader.Load(sp.GetRequiredService<IOptions<PolicyOptions>>().Value.Path);
            var horizon = DateOnly.FromDateTime(sp.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime.AddDays(90));
            if (calendar.LastHoliday < horizon)
            {
                sp.GetRequiredService<ILogger<PolicyDecisionPoint>>().LogWarning(
                    "The bank holiday list in {File} ends on {LastHoliday}: add the coming year's dates, or decision deadlines will count them as working days",
                    CalendarLoader.FileName, calendar.LastHoliday);
            }
            return calendar;
        });
        services.AddHostedService<PolicyStartupCheck>();
        return services;
    }
}

/// <summary>Loads the policies before the hub accepts a request: a broken policy file stops start-up, naming file, line and reason.</summary>
internal sealed class PolicyStartupCheck(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<PolicyDecisionPoint>();
        services.GetRequiredService<Core.Time.WorkingCalendar>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
