namespace SharingHub.Server.Writing;

/// <summary>Writing an agency's own records, shared by every API that writes them.</summary>
internal static class WritingServices
{
    public static IServiceCollection AddSharingHubWriting(this IServiceCollection services)
    {
        services.AddSingleton(sp => new Core.People.PersonSealer(
            sp.GetRequiredService<Core.Crypto.IFieldCipher>(), sp.GetRequiredService<Core.Crypto.IBlindIndexer>()));
        services.AddSingleton<RecordWriter>();
        services.AddSingleton<Kinds.KindWriter>();
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section);
        services.AddSingleton<ChildAlerts>();
        return services;
    }
}
