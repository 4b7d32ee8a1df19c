using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Configuration;
using SharingHub.Data.Keys;

namespace SharingHub.Data.Storage;

/// <summary>
/// The record model, shared by both engines. Each engine has its own derived context so that each
/// keeps its own migrations (SQLite and PostgreSQL differ in types and DDL).
/// </summary>
public abstract class HubDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Agency> Agencies => Set<Agency>();
    public DbSet<Person> People => Set<Person>();
    public DbSet<PersonIdentifier> PersonIdentifiers => Set<PersonIdentifier>();
    public DbSet<Household> Households => Set<Household>();
    public DbSet<Relationship> Relationships => Set<Relationship>();
    public DbSet<Involvement> Involvements => Set<Involvement>();
    public DbSet<PersonState> States => Set<PersonState>();
    public DbSet<ChronologyEvent> Events => Set<ChronologyEvent>();
    public DbSet<Consent> Consents => Set<Consent>();

    /// <summary>Cases (strategy discussion to plan), read with every part they always load, one query per part (see <see cref="Loaded{T}"/>).</summary>
    public IQueryable<Enquiry> Enquiries => Loaded<Enquiry>();
    public DbSet<StrategyMeeting> StrategyMeetings => Set<StrategyMeeting>();
    public DbSet<MacptNomination> MacptNominations => Set<MacptNomination>();
    public DbSet<InformationRequest> InformationRequests => Set<InformationRequest>();
    public DbSet<InformationResponse> InformationResponses => Set<InformationResponse>();
    public DbSet<Referral> Referrals => Set<Referral>();
    public DbSet<FamilyHelpPlan> FamilyHelpPlans => Set<FamilyHelpPlan>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<AuditCheckpoint> AuditCheckpoints => Set<AuditCheckpoint>();
    public DbSet<AuditNode> AuditNodes => Set<AuditNode>();
    public DbSet<DataKeyRow> DataKeys => Set<DataKeyRow>();
    public DbSet<History.RecordVersion> RecordHistory => Set<History.RecordVersion>();
    public DbSet<Notifications.Notification> Notifications => Set<Notifications.Notification>();
    public DbSet<Linkage.ErasedLink> ErasedLinks => Set<Linkage.ErasedLink>();
    public DbSet<Linkage.PersonPair> PersonPairs => Set<Linkage.PersonPair>();
    public DbSet<Linkage.LinkageModelRow> LinkageModels => Set<Linkage.LinkageModelRow>();

    /// <summary>
    /// Records of a type with the collections they always load (auto-included). A type that always loads more than one is read in
    /// one query per collection: in one joined query each record comes back once for every combination of its collections' rows (a
    /// plan-stage case with 8 members, 3 children, 4 conferences and 20 core group meetings is 1,920 rows in one query, 36 in
    /// seven). A query that wants one round trip for a few small collections says <c>AsSingleQuery()</c> and includes only those.
    /// </summary>
    public IQueryable<T> Loaded<T>()
        where T : class =>
        SeveralCollections(typeof(T), eagerOnly: true) ? Set<T>().AsSplitQuery() : Set<T>();

    /// <summary>Whether a record type has more than one collection navigation (auto-included ones only, or any).</summary>
    public bool SeveralCollections(Type type, bool eagerOnly) =>
        Model.FindEntityType(type)!.GetNavigations().Count(n => n.IsCollection && (n.IsEagerLoaded || !eagerOnly)) > 1;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<EncryptedValue>().HaveConversion<EncryptedValueConverter, EncryptedValueComparer>();
        foreach (var enumType in typeof(Record).Assembly.GetTypes().Where(t => t.IsEnum && t.Namespace == typeof(Record).Namespace))
        {
            // Enums are stored by name: readable in the database, and stable when members are added.
            configurationBuilder.Properties(enumType).HaveConversion<string>().HaveMaxLength(40);
        }
        ConfigureEngineConventions(configurationBuilder);
    }

    protected virtual void ConfigureEngineConventions(ModelConfigurationBuilder configurationBuilder)
    {
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(HubDbContext).Assembly);
}

public sealed class Agency
{
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
}
