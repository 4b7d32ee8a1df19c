using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace SharingHub.Server.Tests.Pages;

/// <summary>
/// Debian's Chromium driven by Playwright (it cannot download its own browser here): one browser per test class, one
/// context (cookie jar) per person, so two people sign in side by side as they would on two machines.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>Where Chromium is: SHARINGHUB_CHROMIUM, or Debian's package (tests/run.sh installs it when it is missing).</summary>
    public static string Executable => Environment.GetEnvironmentVariable("SHARINGHUB_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"Chromium is not at {Executable}: tests/run.sh installs Debian's chromium package (apt-get install chromium), or set SHARINGHUB_CHROMIUM");
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            // Root in CI has no user namespace sandbox; /dev/shm is small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A person at their own agency's (development) identity provider, signed in as a person would: click, choose, land.</summary>
    public async Task<IPage> SignInAsync(string baseUrl, string agencyName, string user)
    {
        var context = await NewContextAsync(baseUrl);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {agencyName}" }).ClickAsync();
        await page.Locator($"button[value='{user}']").ClickAsync();
        try
        {
            await ArriveAsync(page, url => url == baseUrl + "/");
        }
        catch (TimeoutException e)
        {
            // Say where the sign-in stopped (an error page, the provider's page, still loading), so a failure on a slow machine can be told apart from a refusal.
            var heading = await page.Locator("h1").AllInnerTextsAsync();
            var text = await page.Locator("body").InnerTextAsync(new() { Timeout = 5_000 });
            throw new TimeoutException($"sign-in as {user} at {agencyName} did not reach the home page in time: it rests at {page.Url}, headed '{string.Join(" | ", heading)}': {text[..Math.Min(text.Length, 300)].ReplaceLineEndings(" ")}", e);
        }
        return page;
    }

    /// <summary>
    /// Arrived when the page's address is one <paramref name="at"/> accepts and its document has loaded with a heading,
    /// looked at every 100 ms for 60 s. Not <c>WaitForURLAsync</c>: when the navigation had already ended before it was
    /// called it waited for a load state ("load", then "commit") that had passed or never comes, and ran out 60 s later
    /// with the page shown (CI, now and then).
    /// </summary>
    public static async Task ArriveAsync(IPage page, Func<string, bool> at)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (at(page.Url) && await page.EvaluateAsync<bool>("() => document.readyState === 'complete' && document.querySelector('h1') !== null"))
                {
                    return;
                }
            }
            catch (PlaywrightException)
            {
                // The page was between documents (a redirect): look again.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"still at {page.Url} after 60 s");
    }

    /// <summary>A fresh browser with no session at all.</summary>
    public async Task<IPage> AnonymousAsync(string baseUrl) => await (await NewContextAsync(baseUrl)).NewPageAsync();

    /// <summary>A person's own browser profile; waits are generous because CI machines are shared and slow at times.</summary>
    private async Task<IBrowserContext> NewContextAsync(string baseUrl)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl });
        context.SetDefaultTimeout(60_000);
        context.SetDefaultNavigationTimeout(60_000);
        return context;
    }

    /// <summary>axe-core finds nothing to fix on the page as it is now (WCAG 2.2 AA rules among them).</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var result = await page.RunAxe();
        Assert.True(result.Violations.Length == 0,
            $"{page.Url}: " + string.Join("; ", result.Violations.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))})")));
    }

    /// <summary>
    /// Moves focus with the Tab key alone until it rests on the link or button named <paramref name="name"/>, then presses
    /// Enter (or Space on a radio or checkbox): what a person who cannot use a mouse does. Fails if the control is never reached.
    /// </summary>
    public static async Task KeyboardActivateAsync(IPage page, string name, bool navigates = true, int maxTabs = 60)
    {
        await page.WaitForLoadStateAsync(LoadState.Load);
        for (var i = 0; i < maxTabs; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>("() => (document.activeElement?.innerText || document.activeElement?.labels?.[0]?.innerText || '').trim()");
            if (focused == name)
            {
                var kind = await page.EvaluateAsync<string>("() => document.activeElement?.type || ''");
                var key = kind is "radio" or "checkbox" ? "Space" : "Enter";
                var before = page.Url;
                await page.Keyboard.PressAsync(key);
                if (navigates)
                {
                    // A busy machine can be slow to answer; the next page is there when the address has changed and it has loaded.
                    await ArriveAsync(page, url => url != before);
                }
                return;
            }
        }
        Assert.Fail($"{page.Url}: '{name}' is not reachable with the Tab key within {maxTabs} presses");
    }

    /// <summary>
    /// Moves focus with the Tab key alone to the field labelled <paramref name="label"/> and types <paramref name="text"/> into it
    /// (on a select, typing chooses the option that starts with it), as a person without a mouse fills a form.
    /// </summary>
    public static async Task KeyboardTypeAsync(IPage page, string label, string text, int maxTabs = 40)
    {
        for (var i = 0; i < maxTabs; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var focused = await page.EvaluateAsync<string>("() => (document.activeElement?.labels?.[0]?.innerText || '').trim()");
            if (focused == label)
            {
                await page.Keyboard.TypeAsync(text);
                return;
            }
        }
        Assert.Fail($"{page.Url}: the field '{label}' is not reachable with the Tab key within {maxTabs} presses");
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
