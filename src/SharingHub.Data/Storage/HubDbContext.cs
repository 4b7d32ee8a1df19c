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
    public DbSet<AuditActor> AuditActors => Set<AuditActor>();
    public DbSet<DataKeyRow> DataKeys => Set<DataKeyRow>();
    public DbSet<History.RecordVersion> RecordHistory => Set<History.RecordVersion>();
    public DbSet<Notifications.Notification> Notifications => Set<Notifications.Notification>();
    public DbSet<Linkage.ErasedLink> ErasedLinks => Set<Linkage.ErasedLink>();
    public DbSet<Linkage.PersonPair> PersonPairs => Set<Linkage.PersonPair>();
    public DbSet<Linkage.LinkageModelRow> LinkageModels => Set<Linkage.LinkageModelRow>();

    /// <summary>A unit of work that adds at least this many events writes them (and their subjects) as prepared statements.</summary>
    public const int BulkEventsFrom = 8;

    /// <summary>
    /// Saves everything tracked in one transaction, as SaveChanges does, except that when the unit of work adds many events
    /// (a transaction bundle's), they and their subjects are written after the rest with one statement per table, prepared
    /// once and run per row on SQLite (EF would build and prepare a command for every row; a 49-event bundle spent 7 ms so)
    /// and as multi-row statements on PostgreSQL. The same constraints refuse the same rows: the unique source reference
    /// throws the provider's constraint error, and the transaction then writes nothing at all.
    /// </summary>
    public async Task SaveUnitOfWorkAsync(CancellationToken cancellationToken)
    {
        var events = ChangeTracker.Entries<ChronologyEvent>().Where(e => e.State == EntityState.Added).ToList();
        if (events.Count < BulkEventsFrom)
        {
            await SaveChangesAsync(cancellationToken);
            return;
        }
        var added = events.Select(e => e.Entity.Id).ToHashSet();
        var rows = events.Cast<Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry>()
            .Concat(ChangeTracker.Entries<EventSubject>().Where(e => e.State == EntityState.Added && added.Contains(e.Entity.EventId))).ToList();
        await using var transaction = Database.CurrentTransaction is null ? await Database.BeginTransactionAsync(cancellationToken) : null;
        // Saved below: SaveChanges must neither write them nor fix them up as new.
        rows.ForEach(r => r.State = EntityState.Unchanged);
        await SaveChangesAsync(cancellationToken);
        await BulkInsert.InsertAsync(this, rows, cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

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
