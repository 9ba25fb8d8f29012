using ChatCluster.Conversations;
using ChatCluster.Gateway.Auth;
using ChatCluster.Gateway.Integrations;
using ChatCluster.Gateway.Presence;
using ChatCluster.Gateway.Protocol;
using ChatCluster.Grains.Tenants;
using ChatCluster.Inbox;
using ChatCluster.Tenants;
using ChatCluster.Visitors;

namespace ChatCluster.Gateway.Sockets;

public sealed partial class ChatConnection
{
    private const int MaxFailedHellos = 5;
    private const int MaxPageUrlLength = 2048;

    private Session? session;
    private int failedHellos;
    private IDisposable? presenceWatch;
    private IAsyncDisposable? inboxLease;

    /// <summary>The agent of this socket once their hello succeeded, for revoking the session (T2); null for a visitor.</summary>
    public AgentPrincipal? Agent => session?.Agent;

    /// <summary>Who is on the other end, once the hello succeeded.</summary>
    private sealed record Session(string TenantId, Participant Me, AgentPrincipal? Agent)
    {
        public bool IsAgent => Agent is not null;
    }

    private async Task Dispatch(ClientFrame frame)
    {
        try
        {
            if (frame is PingFrame ping)
            {
                Send(new PongFrame { Id = ping.Id, T = ping.T });
                return;
            }
            if (frame is HelloFrame hello)
            {
                await Hello(hello);
                return;
            }
            if (session is null)
            {
                Send(Error(frame, ErrorCodes.NotAuthenticated, "Send a hello frame first."));
                return;
            }
            await (frame switch
            {
                StartFrame start => Start(session, start),
                SendFrame send => SendMessage(session, send),
                TypingFrame typing => Typing(session, typing),
                ReadFrame read => Read(session, read),
                ResumeFrame resume => Resume(session, resume),
                JoinFrame join => Join(session, join),
                CloseFrame close => Close(session, close),
                SetPresenceFrame presence => SetPresence(session, presence),
                RateFrame rate => Rate(session, rate),
                TransferFrame transfer => Transfer(session, transfer),
                ConfirmTranscriptFrame confirm => ConfirmTranscript(session, confirm),
                _ => Task.CompletedTask,
            });
        }
        catch (ChatRuleException ex)
        {
            var error = Error(frame, ex.Code, ex.Message);
            if (ex.RetryAfterMs is { } retry) error.RetryAfterMs = retry;
            Send(error);
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            services.Logger.LogWarning(ex, "Cluster call for a {Frame} frame failed", frame.Type);
            Send(new ErrorFrame { Id = frame.Id, Code = ErrorCodes.Unavailable, Message = "The cluster did not answer in time; retry the frame.", RetryAfterMs = 500 });
        }
        catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
        {
            throw; // the socket is closing
        }
        catch (Exception ex)
        {
            // Anything else is a fault of ours, not of the frame: the client hears of it and the socket stays (S2).
            var correlationId = Guid.NewGuid().ToString("N")[..16];
            services.Logger.LogError(ex, "Handling a {Frame} frame failed unexpectedly; correlation id {CorrelationId}", frame.Type, correlationId);
            Send(new ErrorFrame
            {
                Id = frame.Id,
                Code = ErrorCodes.Internal,
                Message = $"The gateway failed to handle this frame (correlation id {correlationId}); it may not have taken effect. Retry later; if it persists, report the correlation id.",
                CorrelationId = correlationId,
                RetryAfterMs = 1000,
            });
        }
    }

    private async Task Hello(HelloFrame hello)
    {
        if (session is not null)
        {
            Send(Error(hello, ErrorCodes.AlreadyAuthenticated, "This connection already said hello."));
            return;
        }
        var welcomed = hello.Role switch
        {
            "visitor" => await VisitorHello(hello),
            "agent" => await AgentHello(hello),
            _ => Fail(hello, ErrorCodes.InvalidRequest, "A hello has role \"visitor\" (with siteKey) or \"agent\" (with token)."),
        };
        if (!welcomed && ++failedHellos >= MaxFailedHellos && closeRequest is null)
            RequestClose(CloseCodes.Forbidden, "too many failed hellos");
    }

    private async Task<bool> VisitorHello(HelloFrame hello)
    {
        if (string.IsNullOrWhiteSpace(hello.SiteKey) || hello.SiteKey.Length > 64)
            return Fail(hello, ErrorCodes.MissingField, "A visitor hello needs the tenant's siteKey.");
        var tenantId = await services.Grains.GetGrain<ISiteKeyGrain>(hello.SiteKey).GetTenantId();
        var tenant = tenantId is null ? null : await services.Grains.GetGrain<ITenantGrain>(tenantId).GetInfo();
        if (tenant is null)
        {
            RequestClose(CloseCodes.Forbidden, "invalid site key", Error(hello, ErrorCodes.InvalidSiteKey, "Unknown site key: check the data-site-key of the widget's script tag."));
            return false;
        }
        if (await services.Standings.Get(tenantId!) == TenantStanding.Closed)
        {
            RequestClose(CloseCodes.Forbidden, "tenant closed", Error(hello, ErrorCodes.TenantClosed, "This chat is no longer available: the site's account is closed."));
            return false;
        }
        if (!OriginAllowed(tenant))
        {
            RequestClose(CloseCodes.Forbidden, "origin not allowed", Error(hello, ErrorCodes.OriginNotAllowed,
                $"This website ({connection.Origin}) is not allowed to use this chat. The site owner can add it to the allowed origins."));
            return false;
        }
        if (hello.PageUrl is { Length: > MaxPageUrlLength })
            return Fail(hello, ErrorCodes.InvalidRequest, $"pageUrl is at most {MaxPageUrlLength} characters.");

        var details = new ConnectionDetails(connection.IpAddress, connection.UserAgent, hello.PageUrl) { Country = connection.Country };
        string visitorId;
        string? issuedToken = null;
        var identity = await VisitorIdentity.Check(services.Grains, tenant.TenantId, hello.Identity, details); // I3
        if (identity.Refusal is { } refusal)
        {
            RequestClose(CloseCodes.Forbidden, "identity required", Error(hello, ErrorCodes.IdentityRequired, refusal));
            return false;
        }
        if (identity.Warning is { } warning) Send(Error(hello, ErrorCodes.InvalidIdentity, warning));
        if (identity.VisitorId is { } verified)
        {
            (visitorId, issuedToken) = (verified, identity.Token);
        }
        else if (hello.VisitorToken is { } token)
        {
            var dot = token.IndexOf('.');
            visitorId = dot > 0 ? token[..dot] : "";
            var valid = Ids.IsLocalId(visitorId) && token.Length <= 128
                && await services.Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenant.TenantId, visitorId)).Authenticate(token[(dot + 1)..], details);
            if (!valid)
                return Fail(hello, ErrorCodes.InvalidVisitorToken, "The visitor token is not valid here; forget it and say hello without one to start as a new visitor.");
        }
        else
        {
            services.Quotas.NewVisitor(tenant.TenantId, connection.IpAddress); // issue 15: rate_limited when over quota
            visitorId = Ids.NewVisitorId();
            var secret = await services.Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenant.TenantId, visitorId)).Register(details);
            issuedToken = $"{visitorId}.{secret}";
        }

        var me = new Participant(ParticipantKind.Visitor, visitorId, null);
        session = new Session(tenant.TenantId, me, null);
        var profile = await services.Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(tenant.TenantId, visitorId)).GetProfile();
        var conversations = new List<ConversationDto>();
        foreach (var id in profile?.ConversationIds.TakeLast(20) ?? [])
        {
            var summary = await Conversation(id).GetSummary();
            if (summary is not null) conversations.Add(Dto.From(summary));
        }

        await services.Presence.Connected(tenant.TenantId, PresenceScope.Visitor, visitorId, null);
        presenceWatch = services.Presence.Bus.Watch(tenant.TenantId, OnPresence);
        var welcome = Welcome(hello, "visitor");
        welcome.TenantId = tenant.TenantId;
        welcome.VisitorId = visitorId;
        welcome.VisitorToken = issuedToken;
        welcome.Conversations = conversations;
        Send(welcome);
        Send(TeamPresence(tenant.TenantId));
        return true;
    }

    private async Task<bool> AgentHello(HelloFrame hello)
    {
        if (string.IsNullOrEmpty(hello.Token))
            return Fail(hello, ErrorCodes.MissingField, "An agent hello needs the bearer token from POST /api/auth/login.");
        var principal = await services.Tokens.Validate(hello.Token);
        if (principal is null)
            return Fail(hello, ErrorCodes.InvalidToken, "The bearer token is invalid or expired; log in again.");
        var check = await services.Standings.Check(principal);
        if (check is SessionCheck.Revoked or SessionCheck.SecondFactorRequired)
            return Fail(hello, ErrorCodes.SessionRevoked, SessionMessages.Revoked(check));
        var agent = check == SessionCheck.TenantGone ? null : await services.Grains.GetGrain<ITenantGrain>(principal.TenantId).GetAgent(principal.AgentId);
        if (agent is null)
            return Fail(hello, ErrorCodes.InvalidToken, "This account no longer exists; log in again.");
        if (check == SessionCheck.TenantClosed)
        {
            // A token issued before the closure (R3) must not open the closed tenant's data.
            RequestClose(CloseCodes.Forbidden, "tenant closed", Error(hello, ErrorCodes.TenantClosed, "This account is closed; its data is deleted at the end of the grace period."));
            return false;
        }

        session = new Session(principal.TenantId, principal.AsParticipant(), principal);
        await services.Presence.Connected(principal.TenantId, PresenceScope.Agent, principal.AgentId, agent.DisplayName);
        presenceWatch = services.Presence.Bus.Watch(principal.TenantId, OnPresence);
        inboxLease = await services.Feeds.Inboxes.Listen(principal.TenantId, this);

        var welcome = Welcome(hello, "agent");
        welcome.TenantId = principal.TenantId;
        welcome.AgentId = principal.AgentId;
        welcome.DisplayName = agent.DisplayName;
        welcome.AgentRole = agent.Role.ToString().ToLowerInvariant();
        var inbox = await services.Grains.GetGrain<ITenantInboxGrain>(principal.TenantId).Page(InboxLimits.DefaultPage);
        welcome.Conversations = [.. inbox.Conversations.Select(Dto.From)];
        welcome.InboxTotal = inbox.Total;
        welcome.InboxNext = InboxPaging.Next(inbox);
        Send(welcome);
        foreach (var entry in services.Presence.Bus.Snapshot(principal.TenantId)) OnPresence(entry);
        return true;
    }

    private bool OriginAllowed(TenantInfo tenant)
    {
        // Browsers always send Origin on a WebSocket upgrade; a client without one is not a browser,
        // and the origin check protects browsers' users, so such a client is let through on its site key.
        if (connection.Origin is null) return true;
        return AllowedOrigins.TryCanonical(connection.Origin, out var origin)
               && (tenant.AllowedOrigins.Contains(origin) || services.SelfOrigins.Contains(origin));
    }

    private async Task Start(Session s, StartFrame start)
    {
        if (s.IsAgent) throw ChatRuleException.Forbidden("Agents don't start conversations; visitors do.");
        await services.Quotas.Start(s.TenantId, s.Me.Id, connection.IpAddress); // issue 15: rate_limited when over quota
        var visitor = services.Grains.GetGrain<IVisitorGrain>(GrainKeys.Scoped(s.TenantId, s.Me.Id));
        if (start.VisitorName is not null || start.Email is not null) await visitor.SetContact(start.VisitorName, start.Email);
        var conversationId = Ids.NewConversationId();
        var summary = await Conversation(conversationId).Start(s.Me, new ConversationContact(Blank(start.VisitorName), Blank(start.Email)));
        await visitor.AddConversation(conversationId);
        Send(new StartedFrame { Id = start.Id, Conversation = Dto.From(summary) });
        await Watch(s, conversationId, summary.LastSeq, requestId: null, sendHistory: false);
    }

    private async Task SendMessage(Session s, SendFrame send)
    {
        var conversationId = Require(send.ConversationId, "conversationId");
        var clientMessageId = Require(send.ClientMessageId, "clientMessageId");
        var text = send.Text ?? throw new ChatRuleException(ErrorCodes.MissingField, "A send frame needs text.");
        services.Pressure.ThrowIfBehind(); // bounded delivery lag (issue 13 item 7): refuse rather than queue behind a backlog
        var result = await Conversation(conversationId).Send(s.Me, clientMessageId, text);
        Send(new AckFrame
        {
            Id = send.Id,
            ConversationId = conversationId,
            ClientMessageId = clientMessageId,
            Seq = result.Seq,
            SentAt = Dto.Millis(result.SentAt),
            Duplicate = result.Duplicate,
        });
        if (!result.Duplicate) services.Metrics.MessageAccepted();
    }

    private Task Typing(Session s, TypingFrame typing) =>
        Conversation(Require(typing.ConversationId, "conversationId")).SetTyping(s.Me, typing.IsTyping);

    private Task Read(Session s, ReadFrame read) =>
        Conversation(Require(read.ConversationId, "conversationId"))
            .MarkRead(s.Me, read.Seq ?? throw new ChatRuleException(ErrorCodes.MissingField, "The frame needs \"seq\"."));

    private Task Resume(Session s, ResumeFrame resume) =>
        Watch(s, Require(resume.ConversationId, "conversationId"), Math.Max(0, resume.AfterSeq), resume.Id, sendHistory: true);

    private async Task Join(Session s, JoinFrame join)
    {
        if (!s.IsAgent) throw ChatRuleException.Forbidden("Only agents join conversations.");
        var conversationId = Require(join.ConversationId, "conversationId");
        await Conversation(conversationId).Assign(s.Me);
        await Watch(s, conversationId, Math.Max(0, join.AfterSeq), join.Id, sendHistory: true);
    }

    private async Task Close(Session s, CloseFrame close)
    {
        var summary = await Conversation(Require(close.ConversationId, "conversationId")).Close(s.Me);
        Send(new ConversationEventFrame { Id = close.Id, Conversation = Dto.From(summary), By = Dto.From(s.Me) });
    }

    private Task SetPresence(Session s, SetPresenceFrame frame)
    {
        if (!s.IsAgent) throw ChatRuleException.Forbidden("Only agents set their presence.");
        var status = frame.Status switch
        {
            "online" => PresenceStatus.Online,
            "away" => PresenceStatus.Away,
            _ => throw ChatRuleException.Invalid("status is \"online\" or \"away\"."),
        };
        return services.Presence.Choose(s.TenantId, s.Me.Id, status);
    }

    private void OnPresence(PresenceEntry entry)
    {
        if (session is not { } s) return;
        if (s.IsAgent)
        {
            if (entry.Scope == PresenceScope.Team) return; // agents get each subject's own (unknown or current) status
            Send(new PresenceEventFrame
            {
                Scope = entry.Scope == PresenceScope.Agent ? "agent" : "visitor",
                SubjectId = entry.SubjectId,
                DisplayName = entry.DisplayName,
                Status = Dto.Name(entry.Status),
            });
        }
        else if (entry.Scope != PresenceScope.Visitor)
        {
            Send(TeamPresence(s.TenantId));
        }
    }

    private PresenceEventFrame TeamPresence(string tenantId) =>
        new() { Scope = "team", Status = Dto.Name(services.Presence.TeamStatus(tenantId)) };

    private async Task EndSession()
    {
        presenceWatch?.Dispose();
        if (inboxLease is not null) await inboxLease.DisposeAsync();
        if (follower is not null) await follower.DisposeAsync();
        if (session is { } s)
        {
            try
            {
                await services.Presence.Disconnected(s.TenantId, s.IsAgent ? PresenceScope.Agent : PresenceScope.Visitor, s.Me.Id);
            }
            catch (Exception ex)
            {
                services.Logger.LogDebug(ex, "Publishing offline presence failed");
            }
        }
    }

    private IConversationGrain Conversation(string conversationId)
    {
        if (!Ids.IsLocalId(conversationId)) throw ChatRuleException.NotFound($"Conversation '{JsonFrameCodec.Trim(conversationId)}'");
        return services.Grains.GetGrain<IConversationGrain>(GrainKeys.Scoped(session!.TenantId, conversationId));
    }

    private WelcomeFrame Welcome(HelloFrame hello, string role) => new()
    {
        Id = hello.Id,
        Role = role,
        HeartbeatSeconds = (int)services.Options.HeartbeatInterval.TotalSeconds,
        IdleTimeoutSeconds = (int)services.Options.IdleTimeout.TotalSeconds,
        Limits = new LimitsDto
        {
            MaxFrameBytes = services.Options.MaxFrameBytes,
            MaxTextBytes = MessageLimits.MaxTextBytes,
            FramesPerSecond = services.Options.FramesPerSecond,
            Burst = services.Options.FrameBurst,
        },
    };

    private bool Fail(ClientFrame frame, string code, string message)
    {
        Send(Error(frame, code, message));
        return false;
    }

    private static ErrorFrame Error(ClientFrame frame, string code, string message) => new() { Id = frame.Id, Code = code, Message = message };

    private static string Require(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw new ChatRuleException(ErrorCodes.MissingField, $"The frame needs \"{field}\".") : value;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
