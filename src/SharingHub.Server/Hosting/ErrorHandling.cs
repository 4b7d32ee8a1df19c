using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Crypto;

namespace SharingHub.Server.Hosting;

/// <summary>
/// The one place unexpected failures become answers: the store or a key provider being unavailable
/// is a 503 (try again), anything else a 500; FHIR callers get an OperationOutcome, OData callers the OData
/// error JSON, others problem JSON.
/// Never a stack trace, a message from inside, or a connection string.
/// </summary>
internal static class ErrorHandling
{
    public static WebApplication UseSharingHubErrors(this WebApplication app)
    {
        app.UseExceptionHandler(errors => errors.Run(async http =>
        {
            var failure = http.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (failure is BadHttpRequestException { InnerException: NullItemException empty })
            {
                await Answer(http, StatusCodes.Status400BadRequest, "invalid", "Bad request",
                    $"The request could not be read: {empty.Field} is empty (null); a list in the body holds only items of its kind.");
                return;
            }
            if (failure is BadHttpRequestException { StatusCode: 400, InnerException: System.Text.Json.JsonException json } && Unfit(json) is { } unfit)
            {
                await Answer(http, StatusCodes.Status400BadRequest, "invalid", "Bad request", $"The request could not be read: {unfit}.");
                return;
            }
            if (failure is BadHttpRequestException bad)
            {
                // The caller's mistake (a body that is not JSON of the expected shape, too large, wrong type): say so.
                await Answer(http, bad.StatusCode, "invalid", "Bad request",
                    $"The request could not be read: the body must be {(bad.StatusCode == 413 ? "smaller" : "JSON of the shape this endpoint takes")}.");
                return;
            }
            if (failure is InvalidDataException)
            {
                // A form the framework could not read (a key over its limit, a null character): the caller's mistake.
                await Answer(http, StatusCodes.Status400BadRequest, "invalid", "Bad request",
                    "The form could not be read: it holds a character or a field longer than a form may.");
                return;
            }
            if (Unstorable(failure))
            {
                // A value the database will not store (PostgreSQL refuses U+0000 in text): the caller's, and nothing was stored.
                await Answer(http, StatusCodes.Status400BadRequest, "invalid", "Bad request",
                    "A value in the request holds a character that cannot be stored (the NUL character, U+0000); nothing was changed.");
                return;
            }
            var unavailable = IsUnavailable(failure);
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SharingHub.Errors");
            logger.LogError("Request {RequestId} to {Path} failed: {Failure} {StoreCode}", http.TraceIdentifier, http.Request.Path.Value, failure?.GetType().Name,
                StoreCode(failure));
            http.Response.Headers["X-Request-Id"] = http.TraceIdentifier;
            if (failure is not null && http.RequestServices.GetRequiredService<Data.Storage.StorageHealth>().Observe(failure))
            {
                await StorageFull(http).ExecuteAsync(http);
                return;
            }
            await (unavailable
                ? Answer(http, StatusCodes.Status503ServiceUnavailable, "transient", "Service unavailable",
                    "The hub's store or key service is unavailable; nothing was disclosed or changed. Try again later.")
                : Answer(http, StatusCodes.Status500InternalServerError, "exception", "Unexpected error",
                    $"The request failed unexpectedly; nothing was disclosed. Quote request id {http.TraceIdentifier} to support."));
        }));
        return app;
    }

    /// <summary>
    /// Where a JSON body went wrong, in the caller's own terms: the line and byte of text that is not JSON, or the member
    /// (<c>$.subjects[0].person</c>) whose value is not of the kind it takes. Never the value, nor the hub's type names.
    /// </summary>
    internal static string? Unfit(System.Text.Json.JsonException json)
    {
        if (json.InnerException?.GetType().Name == "JsonReaderException")
        {
            return $"the body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine})";
        }
        var path = json.Path;
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        if (JsonBodies.IsDuplicate(json))
        {
            return $"the body names {Clipped(path)} twice; each member may appear once";
        }
        if (path == "$")
        {
            return "the body must be one JSON object, with the members this endpoint takes";
        }
        // The path is made of member names the hub knows and the caller's list positions; it is cut short only if absurdly deep.
        return $"the value at {Clipped(path)} is not of the kind that member takes (see /openapi/hub.json)";
    }

    private static string Clipped(string path) => path.Length > 200 ? path[..200] + "…" : path;

    /// <summary>The answer to a request that met a full store: 503, Retry-After, and a message that says so.</summary>
    public static IResult StorageFull(HttpContext http) => Unavailable(http, "Storage full", Data.Storage.StorageHealth.Refusal);

    /// <summary>A 503 for a store that is briefly unable (full, or the audit log unavailable), with the Retry-After every such answer carries.</summary>
    public static IResult Unavailable(HttpContext http, string title, string detail)
    {
        http.Response.Headers.RetryAfter = Data.Storage.StorageHealth.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiErrors.For(http, new ApiError(StatusCodes.Status503ServiceUnavailable, "transient", title, detail));
    }

    /// <summary>
    /// A change that was stored although its audit entry could not be written at once: 503 without the record, saying the
    /// change is stored (so the caller does not repeat it) and that its entry is owed. The Location, when the handler set one,
    /// stays, so the caller can find the record once the hub is back.
    /// </summary>
    public static IResult SavedButNotYetAudited(HttpContext http, bool storageFull) =>
        Unavailable(http, "Saved, not yet recorded", (storageFull ? "The hub's storage is full. " : "The audit log is unavailable. ") +
            "Your change was stored, but its audit entry could not be written yet; the hub will write it as soon as it can. Do not send the change again.");

    private static Task Answer(HttpContext http, int status, string fhirCode, string title, string detail) =>
        ApiErrors.For(http, new ApiError(status, fhirCode, title, detail)).ExecuteAsync(http);


    /// <summary>PostgreSQL's "character not in repertoire" and "untranslatable character", anywhere in the chain.</summary>
    private static bool Unstorable(Exception? failure) => failure switch
    {
        null => false,
        DbException { SqlState: "22021" or "22P05" } => true,
        _ => Unstorable(failure.InnerException),
    };

    /// <summary>
    /// The store's own code for a failure (PostgreSQL's SQLSTATE, SQLite's result code), anywhere in the chain: it says why
    /// the store refused (a full disk, a lost grant, a lock) without the message, which can quote a value.
    /// </summary>
    internal static string StoreCode(Exception? failure) => failure switch
    {
        null => "",
        Microsoft.Data.Sqlite.SqliteException sqlite => $"(SQLite result {sqlite.SqliteErrorCode}, extended {sqlite.SqliteExtendedErrorCode})",
        DbException { SqlState: { Length: > 0 } state } => $"(SQLSTATE {state})",
        _ => StoreCode(failure.InnerException),
    };

    private static bool IsUnavailable(Exception? failure) => failure switch
    {
        null => false,
        DbException or DbUpdateException or TimeoutException or KeyUnavailableException => true,
        _ => IsUnavailable(failure.InnerException),
    };
}
