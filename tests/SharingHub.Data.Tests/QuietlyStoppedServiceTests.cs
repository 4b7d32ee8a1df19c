namespace SharingHub.Data.Tests;

/// <summary>
/// What the host sees of a background service's run when it is stopped: a host disposed right after start (a refused start)
/// must not find a run that ended cancelled, or it logs "BackgroundService failed" with a stack trace beside the one line
/// that says why the hub could not start (StartRefusalTests failed so in CI, 2026-12-05).
/// </summary>
public sealed class QuietlyStoppedServiceTests
{
    private sealed class Waiting : QuietlyStoppedService
    {
        protected override Task RunAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }

    private sealed class CancelledByItself : QuietlyStoppedService
    {
        protected override Task RunAsync(CancellationToken stoppingToken) => throw new OperationCanceledException("cancelled by a token of its own");
    }

    private static async Task<Task> EndedAsync(QuietlyStoppedService service)
    {
        var run = service.ExecuteTask!;
        await run.ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(20));
        return run;
    }

    [Fact]
    public async Task Given_services_disposed_right_after_they_start_then_none_ends_as_a_failed_run()
    {
        // .NET 10 queues the run on the thread pool with the stopping token: disposed before the pool gets to it, it was
        // cancelled unrun. Many starts and disposals make that race happen; each must end as a stopped run.
        for (var i = 0; i < 2_000; i++)
        {
            using var service = new Waiting();
            await service.StartAsync(CancellationToken.None);
            service.Dispose();
            var run = await EndedAsync(service);
            Assert.True(run.IsCompletedSuccessfully, $"start {i}: the run ended {run.Status}, which the host logs as a failed service");
        }
    }

    [Fact]
    public async Task Given_a_stop_after_the_service_ran_then_its_run_ends_quietly()
    {
        using var service = new Waiting();
        await service.StartAsync(CancellationToken.None);
        await Task.Delay(50);
        await service.StopAsync(CancellationToken.None);
        Assert.True((await EndedAsync(service)).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Given_a_run_cancelled_by_something_other_than_its_stop_then_the_host_still_sees_it_cancelled()
    {
        using var service = new CancelledByItself();
        await service.StartAsync(CancellationToken.None);
        var run = await EndedAsync(service);
        Assert.True(run.IsCanceled, $"the run ended {run.Status}: a cancellation the stop did not cause must still reach the host");
    }
}
