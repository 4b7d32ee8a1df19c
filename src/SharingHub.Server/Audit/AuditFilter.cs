using System.Text.Json;
using SharingHub.Core.Audit;
using SharingHub.Server.Identity;

namespace SharingHub.Server.Audit;

/// <summary>The audit action an endpoint declares; every request to it gets exactly one entry.</summary>
public sealed record AuditActionAttribute(string Action);

/// <summary>An endpoint that requires a caller yet is deliberately not audited, and why (a test refuses any other).</summary>
public sealed record NotAuditedAttribute(string Reason);

/// <summary>
/// Writes the request's audit entry after the handler has decided and before anything is sent: the
/// result is only returned (and so only serialised to the caller) once the entry is durably committed.
/// If the audit log cannot commit, the caller gets 503 and nothing else (fail closed).
/// </summary>
internal sealed class AuditFilter(IAuditLog audit, Data.Notifications.NotificationOutbox outbox, TimeProvider clock, ILogger<AuditFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var action = http.GetEndpoint()?.Metadata.GetMetadata<AuditActionAttribute>()?.Action ?? "unknown";
        object? result;
        try
        {
            // An address holding NUL is refused before the endpoint reads it (PostgreSQL refuses NUL in text), and audited.
            result = Hosting.NulCharacters.InAddress(http)
                ? Hosting.ApiErrors.For(http, new Hosting.ApiError(StatusCodes.Status400BadRequest, "invalid", "Bad request", Hosting.NulCharacters.Refusal))
                : await next(context);
        }
        catch (Exception failure) when (failure is not OperationCanceledException || http.RequestAborted.IsCancellationRequested)
        {
            // A request that fails is audited too (nothing was disclosed: the error handler answers it with no data),
            // and so is one the caller gave up on midway (a partner hub past its deadline, a body cut short): the entry
            // says what was asked and that nothing was sent. If even that entry cannot be written, the failure still propagates.
            var failed = failure switch
            {
                OperationCanceledException or IOException when http.RequestAborted.IsCancellationRequested => ClientClosedRequest,
                BadHttpRequestException bad => bad.StatusCode,
                _ => StatusCodes.Status500InternalServerError,
            };
            try
            {
                await audit.AppendAsync(Entry(http, action, failed), CancellationToken.None);
            }
            catch (Exception e) when (e is AuditUnavailableException or System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException)
            {
                logger.LogError("Request {RequestId} ({Action}) failed and its audit entry could not be committed either", http.TraceIdentifier, action);
            }
            throw;
        }
        var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : StatusCodes.Status200OK;
        var scope = http.RequestServices.GetRequiredService<AuditScope>();
        var principal = http.Items.ContainsKey("SharingHub.Principal") ? http.HubPrincipal() : null;
        // The request id ties a response to its audit entry (support calls, subject access requests).
        http.Response.Headers["X-Request-Id"] = http.TraceIdentifier;
        var changed = scope.Wrote || (status is StatusCodes.Status201Created or StatusCodes.Status204NoContent && !HttpMethods.IsGet(http.Request.Method));
        IReadOnlyList<Guid> notices;
        try
        {
            // An owner told of reads (notify-owner) is told of this one before it is shown: queued first, in one transaction.
            using (Core.Telemetry.HubDiagnostics.Source.StartActivity("audit.notify"))
            {
                notices = await NotifyOwnersAsync(http, scope, principal, status);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            return await OwnersNotToldAsync(http, action, changed, e);
        }
        var record = Entry(http, action, status);
        try
        {
            // Written even if the caller has gone meanwhile: what was decided for it is on the record either way.
            using (Core.Telemetry.HubDiagnostics.Source.StartActivity("audit.wait"))
            {
                await audit.AppendAsync(record, CancellationToken.None);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            logger.LogError("Request {RequestId} ({Action}) refused: its audit entry could not be committed", http.TraceIdentifier, action);
            await WithdrawAsync(http, notices);
            var full = http.RequestServices.GetRequiredService<Data.Storage.StorageHealth>().Observe(e);
            return Owed(http, changed, record, full)
                ?? (full ? Hosting.ErrorHandling.StorageFull(http)
                    : Hosting.ErrorHandling.Unavailable(http, "Audit log unavailable", "The request was not carried out because it could not be recorded. Try again later."));
        }
        return result;
    }

    private static bool IsStoreFailure(Exception e) => e is AuditUnavailableException or System.Data.Common.DbException or Microsoft.EntityFrameworkCore.DbUpdateException;

    /// <summary>
    /// The owners of records a response would show could not be told of the read, as their rule requires: nothing is shown, and the
    /// entry records the refusal (status 503, nothing disclosed). A change already committed stays, and the caller is told so.
    /// </summary>
    private async Task<object?> OwnersNotToldAsync(HttpContext http, string action, bool changed, Exception failure)
    {
        logger.LogError("Request {RequestId} ({Action}) refused: the owners of what it would show could not be told {StoreCode}", http.TraceIdentifier, action,
            Hosting.ErrorHandling.StoreCode(failure));
        var full = http.RequestServices.GetRequiredService<Data.Storage.StorageHealth>().Observe(failure);
        var record = Entry(http, action, StatusCodes.Status503ServiceUnavailable);
        try
        {
            await audit.AppendAsync(record, CancellationToken.None);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            logger.LogError("Request {RequestId} ({Action}): its audit entry could not be committed either", http.TraceIdentifier, action);
            if (Owed(http, changed, record, full) is { } owed)
            {
                return owed;
            }
        }
        return Hosting.ErrorHandling.Unavailable(http, "Owners not told", (changed ? "Your change was stored and recorded; do not send it again. " : "") +
            "What it would show is not shown: the organisations that own those records are told of each read, and they could not be told now. Try again later.");
    }

    /// <summary>
    /// A change already committed whose entry could not be: the entry is owed and retried until it commits, and the caller is told the
    /// truth, so it does not make the change twice (nothing is disclosed). Null for a request that changed nothing.
    /// </summary>
    private static IResult? Owed(HttpContext http, bool changed, AuditRecord record, bool storageFull)
    {
        if (!changed || http.RequestServices.GetService<Data.Audit.AuditWriter>() is not { } writer)
        {
            return null;
        }
        writer.Owe(record);
        return Hosting.ErrorHandling.SavedButNotYetAudited(http, storageFull);
    }

    /// <summary>Withdraws the notices of a read that was not shown after all (best effort: if the store is gone too, an owner may hear of a read refused).</summary>
    private async Task WithdrawAsync(HttpContext http, IReadOnlyList<Guid> notices)
    {
        try
        {
            await outbox.WithdrawAsync(notices, CancellationToken.None);
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            logger.LogError("Request {RequestId}: {Count} owner notices of a read not shown could not be withdrawn", http.TraceIdentifier, notices.Count);
        }
    }

    /// <summary>The status an entry records for a request its caller abandoned before the answer (nginx's 499): nothing was sent.</summary>
    public const int ClientClosedRequest = 499;

    private AuditRecord Entry(HttpContext http, string action, int status)
    {
        var scope = http.RequestServices.GetRequiredService<AuditScope>();
        var principal = http.Items.ContainsKey("SharingHub.Principal") ? http.HubPrincipal() : null;
        var body = JsonSerializer.Serialize(new
        {
            roles = principal?.Roles.Order(StringComparer.Ordinal),
            client = principal?.ClientId,
            issuer = principal?.Issuer,
            clientAddress = http.Connection.RemoteIpAddress?.ToString(),
            method = http.Request.Method,
            route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText,
            status,
            count = scope.Count,
            overrideJustification = scope.OverrideJustification,
            maisReason = scope.MaisReason?.ToString(),
            maisMatch = scope.MaisMatch,
            // The exchange's correlation id, recorded alike by the hub that asked and the hub that answered.
            correlation = scope.Correlation ?? TraceParent.TraceId(http.Request.Headers[TraceParent.Header].ToString()),
            resources = scope.Resources,
        });
        // A request with no bearer token (the token service, sign-in) names its caller once it has authenticated them.
        return new AuditRecord(clock.GetUtcNow(), http.TraceIdentifier, principal?.Agency ?? scope.Caller?.Agency ?? "none",
            principal?.Subject ?? scope.Caller?.Actor ?? "anonymous",
            scope.Purpose, scope.EnquiryId, action, Outcome(status), scope.Decision, scope.IsOverride, scope.SubjectsFor(principal?.Organisation ?? "none"), scope.Owners, body)
        {
            // A failed or refused request disclosed nothing, whatever the handler had counted.
            Organisation = principal?.Organisation,
            Disclosed = status < 300 ? scope.Count : 0,
            Roles = principal?.Roles ?? (IReadOnlyCollection<string>)[],
        };
    }

    /// <summary>
    /// The owning organisations told of a read by another organisation (policy obligation notify-owner), one notification per
    /// owner per request, sent after the owner's delay. Written before the response leaves, like the audit.
    /// </summary>
    private async Task<IReadOnlyList<Guid>> NotifyOwnersAsync(HttpContext http, AuditScope scope, HubPrincipal? reader, int status)
    {
        if (status >= 300 || reader is null)
        {
            return [];
        }
        var notices = scope.OwnerNotices.Where(n => n.Owner != reader.Organisation).GroupBy(n => n.Owner)
            .Select(owner => new Data.Notifications.OutboxNotice(owner.Key, "record.read", new
            {
                requestId = http.TraceIdentifier,
                readerAgency = reader.Agency,
                readerOrganisation = reader.Organisation,
                purpose = scope.Purpose,
                enquiry = scope.EnquiryId,
                records = owner.Select(n => new { type = n.Type, id = n.Id }).DistinctBy(n => n.id),
            }, TimeSpan.FromHours(owner.Max(n => n.DelayHours)))).ToList();
        // Queued even if the caller has gone meanwhile, like the entry itself.
        return await outbox.EnqueueAllAsync(notices, CancellationToken.None);
    }

    private static string Outcome(int status) => status switch
    {
        < 300 => "success",
        401 or 403 => "denied",
        404 => "not-found",
        < 500 => "rejected",
        _ => "error",
    };
}

internal static class AuditEndpointExtensions
{
    /// <summary>Declares the endpoint's audit action: one entry per request, written before the response.</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AuditActionAttribute(action)).AddEndpointFilter<TBuilder, AuditFilter>();
}
