using System.Text.Json.Nodes;
using SharingHub.Core.Records;

namespace SharingHub.Server.Audit;

/// <summary>
/// An audit entry as one organisation's IG officer may read it. A request refused another organisation's records is
/// recorded in full, but which records they were (ids, data class, whom they were about, the rules that refused them)
/// is that owning organisation's to know: any other organisation's view of the line keeps only its owner and how many
/// records were refused. Every API that shows audit entries (search, reports, exports, FHIR AuditEvent,
/// OData AuditEntries) reads them through here; the stored entry, and so the hash chain, is unchanged.
/// </summary>
internal static class AuditViews
{
    /// <summary>Rewrites each row's body, in memory only (the rows are untracked), to what <paramref name="viewer"/>'s organisation may read.</summary>
    public static List<AuditEntry> AsSeenBy(this List<AuditEntry> rows, Identity.HubPrincipal viewer)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(viewer);
        foreach (var row in rows)
        {
            row.Body = Body(row.Body, viewer.Organisation);
        }
        return rows;
    }

    public static string Body(string body, string viewerOrganisation)
    {
        // Most entries refuse nothing: only a body with a refused line is parsed and rewritten.
        if (!body.Contains("\"deny\"", StringComparison.Ordinal) || JsonNode.Parse(body) is not JsonObject root || root["resources"] is not JsonArray lines)
        {
            return body;
        }
        var changed = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i] is JsonObject line && Text(line, "decision") == "deny" && Text(line, "owner") is { } owner && owner != viewerOrganisation)
            {
                lines[i] = new JsonObject { ["owner"] = owner, ["decision"] = "deny", ["count"] = Count(line["ids"]) };
                changed = true;
            }
        }
        return changed ? root.ToJsonString() : body;
    }

    private static string? Text(JsonObject line, string name) =>
        line[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A line's ids are a list, or (beyond 100) an object with their count.</summary>
    private static int Count(JsonNode? ids) => ids switch
    {
        JsonArray list => list.Count,
        JsonObject bounded when bounded["count"] is JsonValue count && count.TryGetValue<int>(out var n) => n,
        _ => 0,
    };
}
