using System.Net;

namespace SharingHub.Server.Identity;

/// <summary>The sign-in flow's own messages (before any session exists); every value is HTML-encoded. The pages people work in are in Pages/.</summary>
internal static class Page
{
    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Layout(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · SharingHub</title>
        <style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}
        h1{font-size:1.5rem}dt{font-weight:600}dd{margin:0 0 .5rem 0}a.button,button{display:inline-block;padding:.5rem 1rem;margin:.25rem 0;border:1px solid #1d70b8;border-radius:4px;background:#1d70b8;color:#fff;text-decoration:none;font-size:1rem;cursor:pointer}</style>
        </head><body><main>{{body}}</main></body></html>
        """;

    public static string Message(string title, string text) => Layout(title, $"<h1>{E(title)}</h1><p>{E(text)}</p><p><a href=\"/\">Back</a></p>");
}
