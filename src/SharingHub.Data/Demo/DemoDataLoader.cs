using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Core.Time;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Demo;

/// <summary>
/// Writes generated families through field encryption and blind indexing, exactly as pushed records
/// are stored, in batches so large sets load in reasonable time.
/// </summary>
public sealed class DemoDataLoader(IHubDbContextFactory contexts, IFieldCipher cipher, DataKeyRing keys, IBlindIndexer indexer, TimeProvider clock, Linkage.PersonLinker linker, ILogger<DemoDataLoader> logger)
{
    internal const int FamiliesPerBatch = 50;

    /// <summary>Batches written between two restarts of SQLite's write-ahead log (see <see cref="RestartWalAsync"/>).</summary>
    internal const int WalRestartEvery = 4;

    /// <summary>
    /// Copies SQLite's write-ahead log into the database and empties it. SQLite's own checkpoints copy the log but start it
    /// again only when no reader is using it as a writer begins, and the staging thread's reads beside the writes meant that
    /// almost never happened: loading 1M events grew the log to 15.7 GB beside a 1.4 GB database, and every page read during
    /// the load searched the log's index of millions of frames. (A RESTART checkpoint was not enough: a read begun after it
    /// kept the next writer appending.) It waits for the readers of the moment through the busy timeout; but the checkpoint
    /// lock is not waited for by SQLite, which answers "busy" at once when another connection is checkpointing (the staging
    /// thread's commit of the next batch's keys runs SQLite's own automatic checkpoint of the log this batch grew). So it
    /// tries again while that is the answer, for as long as <see cref="WalRestartPatience"/>; if still busy the log is left
    /// as it is until the next one.
    /// </summary>
    private async Task RestartWalAsync(HubDbContext db, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var started = clock.GetTimestamp();
            for (var attempt = 1; ; attempt++)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                long busy;
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    busy = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : 0;
                }
                if (busy == 0)
                {
                    return;
                }
                if (clock.GetElapsedTime(started) >= WalRestartPatience)
                {
                    logger.LogInformation("SQLite's write-ahead log was not emptied after {Attempts} attempts: another connection held it; the next restart will try again", attempt);
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50, 2 * attempt)), clock, cancellationToken);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>How long a restart of the log tries again while another connection is checkpointing it.</summary>
    internal static readonly TimeSpan WalRestartPatience = TimeSpan.FromSeconds(10);

    /// <summary>Loads only into an empty database, so a restart with --demo never duplicates the demo set.</summary>
    public async Task<DemoLoadSummary?> LoadIfEmptyAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        await using (var db = contexts.Create())
        {
            if (await db.People.AnyAsync(cancellationToken))
            {
                logger.LogInformation("Demo data not loaded: the database already holds people");
                return null;
            }
        }
        return await LoadAsync(options, null, cancellationToken);
    }

    public async Task<DemoLoadSummary> LoadAsync(DemoOptions options, IProgress<DemoLoadSummary>? progress, CancellationToken cancellationToken)
    {
        var generator = new DemoGenerator(options);
        var firstId = generator.GenerateFamily(0).People[0].Id;
        await using (var db = contexts.Create())
        {
            if (await db.People.AnyAsync(p => p.Id == firstId, cancellationToken))
            {
                throw new DemoAlreadyLoadedException($"demo data with seed {options.Seed} is already in this database; choose another --seed");
            }
        }
        // Two stages on two threads: families are generated, sealed and staged on a context while the
        // previous batch is written, so a large load runs at the pace of the slower stage, not their sum.
        var summary = new DemoLoadSummary();
        var written = 0;
        var staged = Channel.CreateBounded<StagedBatch>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(() => StageAllAsync(generator, staged.Writer, failed.Token), CancellationToken.None);
        try
        {
            await foreach (var batch in staged.Reader.ReadAllAsync(failed.Token))
            {
                await using (batch.Context)
                {
                    await BulkInsert.SaveAddedAsync(batch.Context, failed.Token);
                    if (contexts.Engine == DatabaseEngine.Sqlite && ++written % WalRestartEvery == 0)
                    {
                        await RestartWalAsync(batch.Context, failed.Token);
                    }
                }
                summary.Families += batch.Families;
                summary.People += batch.People;
                summary.Events += batch.Events;
                summary.Erasures.AddRange(batch.Erasures);
                progress?.Report(summary);
            }
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
        finally
        {
            // Whatever the producer staged but was not written is let go; its own failure, if any, is rethrown here.
            try
            {
                await producer;
            }
            catch (OperationCanceledException) when (failed.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // Stopped because writing failed: that failure is the one being thrown.
            }
            finally
            {
                while (staged.Reader.TryRead(out var unwritten))
                {
                    await unwritten.Context.DisposeAsync();
                }
            }
        }
        // Linked as records arriving one after another would be, in one pass over everyone loaded.
        var pairs = await linker.LinkAllAsync(cancellationToken);
        logger.LogInformation("Demo data linked: {Pairs} pairs scored as one person or for review", pairs);
        if (contexts.Engine == DatabaseEngine.Postgres)
        {
            // A bulk load changes every table's size at once, and PostgreSQL plans from statistics its autovacuum gathers
            // later, in its own time: until then the first queries are planned for the tables as they were (the benchmark's
            // chronology baseline at 100k events: 22-23 ms p50 before its tables were analysed, 9-11 ms after). Gathered
            // now, as after any bulk load or restore (DatabaseBackup does the same); it samples each table, so it takes
            // seconds at any size. SQLite plans by its own rules and keeps no statistics unless asked.
            await using var db = contexts.Create();
            await db.Database.ExecuteSqlRawAsync("ANALYZE", cancellationToken);
        }
        logger.LogInformation("Demo data loaded: {Families} families, {People} person records, {Events} events (seed {Seed})",
            summary.Families, summary.People, summary.Events, options.Seed);
        return summary;
    }

    private async Task StageAllAsync(DemoGenerator generator, ChannelWriter<StagedBatch> staged, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            var batch = new List<DemoFamily>(FamiliesPerBatch);
            foreach (var family in generator.Generate())
            {
                batch.Add(family);
                if (batch.Count == FamiliesPerBatch)
                {
                    await staged.WriteAsync(Stage(batch), cancellationToken);
                    batch = new List<DemoFamily>(FamiliesPerBatch);
                }
            }
            if (batch.Count > 0)
            {
                await staged.WriteAsync(Stage(batch), cancellationToken);
            }
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            staged.TryComplete(failure);
        }
    }

    /// <summary>A batch of families sealed and staged as added entities on a context of its own, ready to be written.</summary>
    private StagedBatch Stage(List<DemoFamily> families)
    {
        var now = clock.UtcNowForStorage();
        // Each person's own key, made for the whole batch in one write rather than one commit per person.
        keys.PrepareNew(families.SelectMany(f => f.People).Select(p => (p.Agency, FieldContext.SubjectScope(EntityMapper.PersonDataClass, p.Id))));
        var db = contexts.Create();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        var map = new EntityMapper(cipher, indexer, now);
        foreach (var family in families)
        {
            map.Add(db, family);
        }
        return new StagedBatch(db, families.Count, families.Sum(f => f.People.Count), families.Sum(f => f.Events.Count), families.SelectMany(f => f.Erasures).ToList());
    }

    private sealed record StagedBatch(HubDbContext Context, int Families, int People, int Events, List<DemoErasure> Erasures);
}

public sealed class DemoAlreadyLoadedException(string message) : Exception(message);

public sealed class DemoLoadSummary
{
    public int Families { get; set; }
    public int People { get; set; }
    public int Events { get; set; }

    /// <summary>Records the demo erases once loaded (<see cref="DemoErasures"/> carries them out, audited).</summary>
    public List<DemoErasure> Erasures { get; } = [];
}

/// <summary>
/// Carries out a loaded demo set's erasures as an agency would (crypto-shredding, audited), so the demo shows
/// an erased record. Run where the audit log is running: after loading at start-up, or by `demo load`.
/// </summary>
public sealed class DemoErasures(Keys.SubjectShredding shredding)
{
    public async Task ApplyAsync(DemoLoadSummary summary, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(summary);
        foreach (var erasure in summary.Erasures)
        {
            await shredding.ShredAsync(erasure.PersonId, erasure.Reason, "demo-loader", cancellationToken);
        }
    }
}

/// <summary>Plain demo records to stored entities: every sensitive field encrypted, every identifier blind-indexed.</summary>
internal sealed class EntityMapper(IFieldCipher cipher, IBlindIndexer indexer, DateTimeOffset now)
{
    public const string PersonDataClass = "person.demographics";
    public const string ConfidentialAddressClass = "address.confidential";
    private readonly PersonSealer _people = new(cipher, indexer);

    /// <summary>Every record of the family, sealed and indexed, added to the context (not saved).</summary>
    public void Add(HubDbContext db, DemoFamily family)
    {
        db.People.AddRange(family.People.Select(Person));
        db.Households.AddRange(family.Households.Select(Household));
        db.Relationships.AddRange(family.Relationships.Select(Relationship));
        db.Involvements.AddRange(family.Involvements.Select(Involvement));
        db.FamilyHelpPlans.AddRange(family.Involvements.Where(i => i.Service == FamilyHelpPlan.DataClassCode && i.Status == InvolvementStatus.Open).Select(FamilyHelp));
        db.States.AddRange(family.States.Select(State));
        db.Events.AddRange(family.Events.Select(Event));
        db.Consents.AddRange(family.Consents.Select(Consent));
        foreach (var enquiry in family.Enquiries)
        {
            db.Add(Enquiry(enquiry));
            db.InformationRequests.AddRange(enquiry.Requests.Select(r => Request(enquiry.Id, r)));
        }
        db.Referrals.AddRange(family.Referrals.Select(Referral));
    }

    public Person Person(DemoPerson p)
    {
        var person = Stamp(new Person { Id = p.Id, OwningAgency = p.Agency, OwningOrganisation = p.Organisation ?? p.Agency, DataClass = PersonDataClass });
        _people.Seal(person, new PersonDetails(p.Kind, p.GivenName, p.FamilyName, p.BirthDate, p.Sex, p.Address,
            p.Identifiers.Select(i => (i.Kind, i.Value)).ToList(), p.AddressConfidential), n => DeterministicChildId(p.Id, (int)p.Identifiers[n].Kind));
        return person;
    }

    public Household Household(DemoHousehold h)
    {
        var household = Stamp(new Household
        {
            Id = h.Id,
            OwningAgency = h.Agency,
            DataClass = h.IsRefuge ? ConfidentialAddressClass : PersonDataClass,
            Reference = h.Reference,
            Members = h.Members.Select(m => new HouseholdMember { HouseholdId = h.Id, PersonId = m.PersonId, Role = m.Role }).ToList(),
        });
        household.Address = Seal(household, nameof(Core.Records.Household.Address), h.Address);
        household.PostcodeIndex = _people.PostcodeIndex(h.Address);
        return household;
    }

    public Relationship Relationship(DemoRelationship r) => Stamp(new Relationship
    {
        Id = r.Id, OwningAgency = r.Agency, DataClass = "la.social-care", PersonId = r.PersonId, RelatedPersonId = r.RelatedPersonId,
        Kind = r.Kind, HasParentalResponsibility = r.HasParentalResponsibility,
    });

    public Involvement Involvement(DemoInvolvement i)
    {
        var involvement = Stamp(new Involvement
        {
            Id = i.Id, OwningAgency = i.Agency, OwningOrganisation = i.Organisation ?? i.Agency, DataClass = i.DataClass, PersonId = i.PersonId, Service = i.Service, Status = i.Status,
            StartedAt = TimeProviderExtensions.TruncateForStorage(i.StartedAt),
            EndedAt = i.EndedAt is { } ended ? TimeProviderExtensions.TruncateForStorage(ended) : null, Team = i.Team,
        });
        involvement.LeadWorker = Seal(involvement, nameof(Core.Records.Involvement.LeadWorker), i.LeadWorker);
        involvement.Summary = Seal(involvement, nameof(Core.Records.Involvement.Summary), i.Summary);
        return involvement;
    }

    /// <summary>
    /// The Family Help plan behind an open Family Help involvement, led by its lead worker: made from the involvement alone (no
    /// random draws), so adding it leaves every other generated record as it was.
    /// </summary>
    public FamilyHelpPlan FamilyHelp(DemoInvolvement i)
    {
        var id = i.Id.ToByteArray();
        id[15] ^= 0x5A;
        var started = TimeProviderExtensions.TruncateForStorage(i.StartedAt);
        var plan = Stamp(new FamilyHelpPlan
        {
            Id = new Guid(id), OwningAgency = i.Agency, OwningOrganisation = i.Organisation ?? i.Agency, DataClass = FamilyHelpPlan.DataClassCode, PersonId = i.PersonId,
            Status = FamilyHelpStatus.Active, StartedAt = started, AssessedAt = started.AddDays(20), ReviewDueAt = started.AddDays(20 + 182),
            AgenciesInvolved = ["education", "health"], LeadPractitioner = i.LeadWorker,
        });
        plan.Leads = [new FamilyHelpLead { Id = new Guid(id.Reverse().ToArray()), PlanId = plan.Id, Practitioner = i.LeadWorker, Agency = i.Agency, Organisation = plan.OwningOrganisation, From = started }];
        plan.Needs = Seal(plan, nameof(FamilyHelpPlan.Needs), "Routines at home, school attendance and the parents' wellbeing after a move");
        plan.ChildsVoice = Seal(plan, nameof(FamilyHelpPlan.ChildsVoice), "Wants things at home to be calmer and to see friends after school");
        plan.Outcomes = Seal(plan, nameof(FamilyHelpPlan.Outcomes), "School attendance above 95 per cent\nA settled bedtime routine most nights\nParents attend the family hub group");
        plan.Practitioners = Seal(plan, nameof(FamilyHelpPlan.Practitioners), "School designated safeguarding lead\nHealth visitor");
        return plan;
    }

    public PersonState State(DemoState s)
    {
        var state = Stamp(new PersonState
        {
            Id = s.Id, OwningAgency = s.Agency, OwningOrganisation = s.Organisation ?? s.Agency, DataClass = s.DataClass, PersonId = s.PersonId, Code = s.Code,
            StartedAt = s.StartedAt, EndedAt = s.EndedAt,
        });
        state.Detail = Seal(state, nameof(PersonState.Detail), s.Detail);
        return state;
    }

    public ChronologyEvent Event(DemoEvent e)
    {
        var ev = Stamp(new ChronologyEvent
        {
            Id = e.Id, OwningAgency = e.Agency, OwningOrganisation = e.Organisation ?? e.Agency, DataClass = e.DataClass, OccurredAt = e.OccurredAt, Category = e.Category,
            Significance = e.Significance, SourceReference = e.SourceReference,
            Subjects = e.SubjectIds.Select(s => new EventSubject { EventId = e.Id, PersonId = s }).ToList(),
        });
        ev.Summary = Seal(ev, nameof(ChronologyEvent.Summary), e.Summary);
        ev.Detail = Seal(ev, nameof(ChronologyEvent.Detail), e.Detail);
        return ev;
    }

    public Consent Consent(DemoConsent c) => Stamp(new Consent
    {
        Id = c.Id, OwningAgency = c.Agency, DataClass = "consent", SubjectPersonId = c.SubjectPersonId, GrantorPersonId = c.GrantorPersonId,
        Grantor = c.Grantor, Decision = c.Decision, Status = c.Status, RecipientAgencies = [.. c.RecipientAgencies], Purposes = [.. c.Purposes],
        DataClasses = [.. c.DataClasses], PeriodStart = c.PeriodStart, PeriodEnd = c.PeriodEnd, WithdrawnAt = c.WithdrawnAt,
    });

    public Enquiry Enquiry(DemoEnquiry e)
    {
        var enquiry = Stamp(new Enquiry
        {
            Id = e.Id, OwningAgency = Core.Agencies.AgencyCodes.LocalAuthority, DataClass = Core.Records.Enquiry.DataClassCode, Reference = e.Reference,
            Status = e.Status, OpenedAt = e.OpenedAt, ClosedAt = e.ClosedAt, Outcome = e.Outcome, LeadPractitioner = e.LeadPractitioner,
            Members = e.Members.Select(m => new EnquiryMember { Id = m.Id, EnquiryId = e.Id, Agency = m.Agency, UserSubject = m.UserSubject, Role = m.Role, AddedAt = m.AddedAt }).ToList(),
            Subjects = e.Subjects.Select(s => new EnquirySubject { EnquiryId = e.Id, PersonId = s.PersonId, Role = s.Role }).ToList(),
        });
        enquiry.Grounds = Seal(enquiry, nameof(Core.Records.Enquiry.Grounds), e.Grounds);
        // Every demo enquiry started from a strategy discussion on the day it opened; its initial conference falls due about
        // three weeks (15 working days) on, so oversight shows some cases due and some overdue. An enquiry that went to
        // conference and is closed was closed by the conference: no plan.
        enquiry.Stage = CaseStage.Section47;
        enquiry.Section47StartedAt = e.OpenedAt;
        enquiry.StrategyDecision = "section-47";
        if (e.Status == EnquiryStatus.Open)
        {
            enquiry.ConferenceDueBy = e.OpenedAt.AddDays(21);
        }
        else if (e.Outcome == EnquiryOutcome.ChildProtectionConference)
        {
            enquiry.Stage = CaseStage.AwaitingConference;
            enquiry.Outcome = EnquiryOutcome.NoChildProtectionPlan;
        }
        return enquiry;
    }

    public InformationRequest Request(Guid enquiryId, DemoInformationRequest r)
    {
        var request = Stamp(new InformationRequest
        {
            Id = r.Id, OwningAgency = Core.Agencies.AgencyCodes.LocalAuthority, DataClass = Core.Records.Enquiry.DataClassCode, EnquiryId = enquiryId,
            RequestedAgency = r.RequestedAgency, RequestedAt = r.RequestedAt, DueAt = r.DueAt, Status = r.Status,
        });
        request.Question = Seal(request, nameof(InformationRequest.Question), r.Question);
        if (r.Response is { } answer)
        {
            var response = Stamp(new InformationResponse
            {
                Id = answer.Id, OwningAgency = r.RequestedAgency, DataClass = "information-response", RequestId = r.Id,
                RespondedAt = answer.RespondedAt, Kind = answer.Kind,
            });
            response.Content = answer.Content is null ? null : Seal(response, nameof(InformationResponse.Content), answer.Content);
            response.Reason = answer.Reason is null ? null : Seal(response, nameof(InformationResponse.Reason), answer.Reason);
            request.Responses.Add(response);
        }
        return request;
    }

    public Referral Referral(DemoReferral r)
    {
        var referral = Stamp(new Referral
        {
            Id = r.Id, OwningAgency = r.Agency, DataClass = "referral", SubjectPersonId = r.SubjectPersonId, ReceivedAt = r.ReceivedAt,
            DecisionDueAt = r.DecisionDueAt, Decision = r.Decision, DecidedAt = r.DecidedAt,
        });
        referral.Concern = Seal(referral, nameof(Core.Records.Referral.Concern), r.Concern);
        referral.ReferrerIdentity = Seal(referral, nameof(Core.Records.Referral.ReferrerIdentity), r.ReferrerIdentity);
        return referral;
    }

    private EncryptedValue Seal(Record record, string field, string plaintext) =>
        cipher.Encrypt(plaintext, SensitiveFields.For(record, field));

    private T Stamp<T>(T record)
        where T : Record
    {
        record.CreatedAt = now;
        record.UpdatedAt = now;
        record.Version = 1;
        return record;
    }

    private static Guid DeterministicChildId(Guid parent, int discriminator)
    {
        var bytes = parent.ToByteArray();
        bytes[15] ^= (byte)(discriminator + 1);
        bytes[14] ^= 0x5a;
        return new Guid(bytes);
    }
}
