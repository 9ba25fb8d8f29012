using ChatCluster.LoadTests.Model;

namespace ChatCluster.LoadTests.Tests;

public sealed class LoadSimulationTests
{
    [Fact]
    public void Worker_shares_of_copies_and_rate_add_up_to_the_whole_load()
    {
        var keep = LoadSimulation.KeepConstant(10, TimeSpan.FromSeconds(5));
        Assert.Equal(10, Enumerable.Range(0, 3).Sum(i => ((KeepConstantSimulation)keep.Slice(i, 3)).Copies));
        var inject = LoadSimulation.Inject(900, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        Assert.Equal(900, Enumerable.Range(0, 4).Sum(i => ((InjectSimulation)inject.Slice(i, 4)).Rate), 6);
    }

    [Fact]
    public void Ramping_inject_starts_at_the_previous_rate_and_ends_at_its_own()
    {
        var ramp = LoadSimulation.RampingInject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        // From 0 to 100/s over 10 s: 500 iterations in all, a quarter of them in the first half.
        Assert.Equal(500, ramp.InjectedBy(TimeSpan.FromSeconds(10), 0), 6);
        Assert.Equal(125, ramp.InjectedBy(TimeSpan.FromSeconds(5), 0), 6);
    }

    [Fact]
    public void Ramp_constant_moves_linearly_from_the_previous_copies()
    {
        var ramp = LoadSimulation.RampConstant(20, TimeSpan.FromSeconds(10));
        Assert.Equal(10, ramp.CopiesAt(TimeSpan.FromSeconds(5), 0));
        Assert.Equal(20, ramp.CopiesAt(TimeSpan.FromSeconds(5), 20));
        Assert.Equal(20, ramp.CopiesAt(TimeSpan.FromSeconds(11), 0));
    }
}
