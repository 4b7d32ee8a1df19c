using System.Reflection;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Crypto.Keys;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Keys;

public sealed class ReencryptionProgress
{
    public string KeyId { get; set; } = "";
    public Dictionary<string, Guid> LastIdByTable { get; set; } = [];
    public long Reencrypted { get; set; }
    public long Unavailable { get; set; }
    public bool Done { get; set; }
}

/// <summary>
/// Retires a data key: every value under it is opened and sealed again under the current key for its
/// agency and class, table by table in batches ordered by id. Progress is saved after each batch, so an
/// interrupted job resumes where it stopped. Readers never fail meanwhile: each value is readable under
/// the old key until its row commits under the new one.
/// </summary>
public sealed class ReencryptionJob(IHubDbContextFactory contexts, IFieldCipher cipher, DataKeyRing keys, IDataKeyStore store)
{
    public async Task<ReencryptionProgress> RunAsync(string keyId, string progressFile, int batchSize, Action<string>? report, CancellationToken cancellationToken)
    {
        var stored = store.Find(keyId) ?? throw new InvalidOperationException($"no data key '{keyId}'");
        if (stored.DestroyedAt is not null)
        {
            throw new InvalidOperationException($"data key '{keyId}' is destroyed: its values cannot be re-encrypted");
        }
        if (store.FindActive(stored.Agency, stored.DataClass)?.KeyId == keyId)
        {
            // Rotate first (outside the report call, which may be absent), so new values go under a new key.
            var next = keys.Rotate(stored.Agency, stored.DataClass);
            report?.Invoke($"{keyId} is the active key: rotated first, so new values use {next}");
        }
        var progress = File.Exists(progressFile)
            ? JsonSerializer.Deserialize<ReencryptionProgress>(await File.ReadAllTextAsync(progressFile, cancellationToken)) ?? new ReencryptionProgress()
            : new ReencryptionProgress();
        if (progress.KeyId.Length > 0 && progress.KeyId != keyId)
        {
            throw new InvalidOperationException($"{progressFile} records a job for another key ({progress.KeyId})");
        }
        progress.KeyId = keyId;
        await using (var model = contexts.Create())
        {
            foreach (var entity in model.Model.GetEntityTypes().Where(e => e.ClrType.IsSubclassOf(typeof(Record))).OrderBy(e => e.GetTableName(), StringComparer.Ordinal))
            {
                var method = typeof(ReencryptionJob).GetMethod(nameof(RunTableAsync), BindingFlags.NonPublic | BindingFlags.Instance)!.MakeGenericMethod(entity.ClrType);
                await (Task)method.Invoke(this, [entity.GetTableName()!, keyId, progress, progressFile, batchSize, report, cancellationToken])!;
            }
        }
        progress.Done = true;
        await SaveAsync(progress, progressFile, cancellationToken);
        report?.Invoke($"done: {progress.Reencrypted} values re-encrypted, {progress.Unavailable} unavailable; no value uses {keyId} now");
        return progress;
    }

    private async Task RunTableAsync<T>(string table, string keyId, ReencryptionProgress progress, string progressFile, int batchSize, Action<string>? report, CancellationToken cancellationToken)
        where T : Record
    {
        var fields = typeof(T).GetProperties().Where(p => p.PropertyType == typeof(EncryptedValue) && p.CanWrite).ToList();
        while (true)
        {
            progress.LastIdByTable.TryGetValue(table, out var after);
            await using var db = contexts.Create();
            var batch = await db.Set<T>().Where(r => r.Id.CompareTo(after) > 0).OrderBy(r => r.Id).Take(batchSize).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                return;
            }
            long changed = 0;
            foreach (var record in batch)
            {
                foreach (var field in fields)
                {
                    if (field.GetValue(record) is EncryptedValue value && value.KeyId == keyId)
                    {
                        var context = SensitiveFields.For(record, field.Name);
                        var plain = cipher.Decrypt(value, context);
                        if (plain.Value is null)
                        {
                            progress.Unavailable++;
                            continue;
                        }
                        field.SetValue(record, cipher.Encrypt(plain.Value, context));
                        changed++;
                    }
                }
                if (record is Person person)
                {
                    foreach (var identifier in person.Identifiers.Where(i => i.Value.KeyId == keyId))
                    {
                        var context = SensitiveFields.ForIdentifier(identifier, person.OwningAgency, person.DataClass);
                        if (cipher.Decrypt(identifier.Value, context).Value is { } plain)
                        {
                            identifier.Value = cipher.Encrypt(plain, context);
                            changed++;
                        }
                    }
                }
            }
            await db.SaveChangesAsync(cancellationToken);
            progress.Reencrypted += changed;
            progress.LastIdByTable[table] = batch[^1].Id;
            await SaveAsync(progress, progressFile, cancellationToken);
            report?.Invoke($"  {table}: through {batch[^1].Id} ({progress.Reencrypted} re-encrypted so far)");
        }
    }

    private static async Task SaveAsync(ReencryptionProgress progress, string file, CancellationToken cancellationToken)
    {
        var temp = file + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(progress), cancellationToken);
        File.Move(temp, file, overwrite: true);
    }
}
