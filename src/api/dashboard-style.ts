/** The stylesheet of our pages (inline: no build step, no static files). Colors carry the pair states. */
export const DASHBOARD_STYLE = `
:root{--ok:#1a7f37;--pending:#0969da;--failed:#cf222e;--parked:#bf8700;--gone:#8c959f;--bg:#f3f4f6;--line:#d8dee4;
--soft:#eef1f4;--text:#1f2328;--muted:#59636e;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
*{box-sizing:border-box}
body{margin:0;font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;color:var(--text);background:var(--bg)}
a{color:#0969da}
header.top{display:flex;align-items:center;gap:18px;padding:9px 20px;background:#24292f;color:#fff}
header.top h1{font-size:15px;margin:0;font-weight:650;white-space:nowrap}header.top h1 .sub{font-weight:400;color:#afb8c1;margin-left:6px}
header.top .prefix{font-family:var(--mono);font-size:12px;color:#afb8c1;background:#32383f;padding:1px 6px;border-radius:4px}
header.top nav{margin-left:auto;display:flex;gap:16px;align-items:center}
header.top nav a{color:#c9d1d9;text-decoration:none}header.top nav a:hover{color:#fff;text-decoration:underline}
header.top form{margin:0}header.top nav button{background:none;border:0;color:#c9d1d9;padding:0;cursor:pointer;font:inherit}
.live{display:inline-flex;align-items:center;gap:6px;font-size:12px;color:#c9d1d9}
.live .dot{width:8px;height:8px;border-radius:50%;background:#2da44e;box-shadow:0 0 0 3px rgba(45,164,78,.25)}
.live.stale .dot{background:#cf222e;box-shadow:0 0 0 3px rgba(207,34,46,.3)}
main{padding:14px 20px 28px;display:grid;grid-template-columns:minmax(0,1fr);gap:14px;max-width:1480px;margin:0 auto}
.card{overflow-x:auto}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.headline{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap}
.big{font-size:30px;font-weight:650;font-variant-numeric:tabular-nums;letter-spacing:-.01em}
.big small{font-size:15px;font-weight:500;color:var(--muted)}
.pct{font-size:22px;font-weight:600;color:var(--ok);font-variant-numeric:tabular-nums}
.rate{margin-left:auto;color:var(--muted);font-variant-numeric:tabular-nums}
.rate b{color:var(--text)}
.bar{display:flex;height:22px;border-radius:5px;overflow:hidden;background:var(--soft);margin:10px 0 8px}
.bar span{display:block;height:100%;transition:width .3s ease;min-width:0}
.seg-registered,.s-registered{background:var(--ok)}.seg-pending,.s-pending{background:var(--pending)}
.seg-failed,.s-failed{background:var(--failed)}.seg-needs_reauth,.s-needs_reauth{background:var(--parked)}
.seg-unregistered,.s-unregistered{background:var(--gone)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(118px,1fr));gap:8px}
.tile{border:1px solid var(--line);border-radius:6px;padding:5px 10px;border-top:3px solid var(--line)}
.tile .n{display:block;font-size:19px;font-weight:600;font-variant-numeric:tabular-nums}
.tile .l{display:block;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em}
.tile.t-registered{border-top-color:var(--ok)}.tile.t-pending{border-top-color:var(--pending)}
.tile.t-failed{border-top-color:var(--failed)}.tile.t-needs_reauth{border-top-color:var(--parked)}
.tile.t-unregistered{border-top-color:var(--gone)}
.tile.t-queue{background:#f6f8fa}
.tile.alert .n{color:var(--failed)}
.paused-banner{background:#fff8e5;border:1px solid var(--parked);border-left-width:5px;border-radius:8px;padding:10px 16px}
.paused-banner[hidden]{display:none}
.toolbar{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:8px}
.toolbar h2{font-size:14px;margin:0 6px 0 0}
.toolbar .spacer{flex:1}
.count{color:var(--muted);font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th{text-align:left;font-weight:600;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em;padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
td{padding:4px 8px;border-bottom:1px solid var(--soft);vertical-align:top}
tbody tr:hover td{background:#f6f8fa}
td.portal,td.code{font-family:var(--mono);font-size:12px;white-space:nowrap}
td.why,td.action{white-space:nowrap}td.lasterr{min-width:240px;max-width:560px}td.apps{min-width:240px}
td.num{text-align:right;white-space:nowrap}
.badge{display:inline-block;margin:0 3px 2px 0;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:600;color:#fff;white-space:nowrap}
.chip{display:inline-block;margin:1px 4px 1px 0;padding:0 6px;border-radius:4px;font-size:12px;font-family:var(--mono);background:#f6f8fa;border:1px solid var(--line);border-left-width:4px}
.chip.s-registered{border-left-color:var(--ok);background:#f0fff4}.chip.s-pending{border-left-color:var(--pending);background:#f0f6ff}
.chip.s-failed{border-left-color:var(--failed);background:#fff0f0}.chip.s-needs_reauth{border-left-color:var(--parked);background:#fff8e5}
.chip.s-unregistered{border-left-color:var(--gone)}
.mini{display:inline-flex;width:110px;height:8px;border-radius:4px;overflow:hidden;background:var(--soft);vertical-align:middle;margin-right:6px}
.mini span{display:block;height:100%}
.err{font-family:var(--mono);font-size:12px;color:#82071e;word-break:break-word}
.err b{font-weight:700}
.hist{margin:2px 0 0;padding:0;list-style:none;font-size:11.5px;color:var(--muted)}
.hist li{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:300px}
.hint{color:var(--muted);font-size:12px;white-space:nowrap}
.empty{color:var(--muted);padding:10px 8px}
.ok-note{color:var(--ok);font-weight:600}
button{font:inherit;padding:3px 11px;border-radius:6px;border:1px solid #c4cad1;background:#f6f8fa;cursor:pointer;white-space:nowrap}
button:hover{background:#eef1f4}button:disabled{opacity:.55;cursor:default}
button.primary{background:var(--pending);border-color:#0757ba;color:#fff}button.primary:hover{background:#0757ba}
button.danger{background:#fff;border-color:var(--failed);color:var(--failed)}
input[type=search],select,input[type=password]{font:inherit;padding:4px 8px;border:1px solid #c4cad1;border-radius:6px;background:#fff}
input[type=search]{width:280px}
.pager{display:flex;gap:10px;align-items:center;justify-content:flex-end;margin-top:8px}
.flash{font-size:12px;color:var(--ok)}
.login{max-width:380px;margin:12vh auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:22px 24px}
.login h1{font-size:17px;margin:0 0 4px}.login p{color:var(--muted);margin:0 0 14px}
.login label{display:block;font-weight:600;margin-bottom:4px}.login input{width:100%;margin-bottom:12px}
.login .error{color:var(--failed);margin-bottom:10px}
`;
