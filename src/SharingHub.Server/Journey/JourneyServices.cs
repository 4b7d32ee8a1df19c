namespace SharingHub.Server.Journey;

/// <summary>The journey's use-case handlers, which every API (and the pages) call; one per request.</summary>
internal static class JourneyServices
{
    public static IServiceCollection AddSharingHubJourney(this IServiceCollection services)
    {
        services.AddScoped<FrontDoor.DecideReferral>();
        services.AddSingleton<FrontDoor.MakeReferral>();
        services.AddSingleton<Workflow.DevelopmentNominations>();
        return services;
    }
}
