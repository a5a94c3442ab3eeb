Attribute VB_Name = "CuadreRibbon"
' Cuadre ribbon callbacks. Each button runs one ribbon script of cuadre.xl.scripts on the
' active workbook through xlwings' RunPython (the xlwings module of this add-in). The
' scripts write their own sheets, show progress in the status bar and report problems in
' a message box and on the Issues sheet.
Option Explicit

' The very hidden sheet on which the Import buttons leave the chosen files for Python
' (cuadre.xl.scripts.IMPORT_SHEET): one path per cell in column A. The paths never go
' inside the RunPython command: on Windows it runs through cmd.exe (8,191 characters at
' most; % and " in a path break it), on macOS through AppleScript quoting.
Private Const IMPORT_SHEET As String = "_cuadre_import"

Private Sub RunCuadre(verb As String, Optional args As String = "")
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the close workbook first (start from Cuadre Close.xlsx).", vbInformation, "Cuadre"
        Exit Sub
    End If
    RunPython "import cuadre.xl.scripts as s; s.xl_" & verb & "(" & args & ")"
End Sub

Sub CuadreRibbonLoaded(ribbon As IRibbonUI)
    ' Descriptions and argument help of the CUADRE_* functions for the Function Wizard.
    On Error Resume Next
    RegisterCuadreFunctions
End Sub

' --------------------------------------------------------------------------- import

Private Function PickFiles(kind As String) As Variant
    ' The files the accountant picks (an array of paths), or False when cancelled.
    Dim filters As String, index As Integer, title As String
    Select Case kind
        Case "bank"
            title = "Cuadre: bank statements to import (camt.053/054, MT940, BAI2, OFX, CSV)"
            index = 1
        Case "erp"
            title = "Cuadre: ERP open-items report to import (SAP FBL5N, Microsip, Oracle, Odoo, ERPNext)"
            index = 2
        Case Else
            title = "Cuadre: CFDI / DIAN e-invoices to import (XML, SAT Metadata .txt, ZIP)"
            index = 3
    End Select
    #If Mac Then
        ' Excel for Mac does not take Windows filter strings ("Name,*.ext"): it raises or
        ' ignores them, and its own file-type codes do not cover .sta, .bai or .ofx. Every
        ' file is shown; Cuadre tells the format from the content, never from the name.
        PickFiles = Application.GetOpenFilename(Title:=title, MultiSelect:=True)
    #Else
        filters = "Bank statements (*.xml;*.053;*.054;*.sta;*.940;*.mt940;*.txt;*.bai;*.bai2;*.ofx;*.qfx;*.csv)," & _
            "*.xml;*.053;*.054;*.sta;*.940;*.mt940;*.txt;*.bai;*.bai2;*.ofx;*.qfx;*.csv," & _
            "ERP exports (*.xlsx;*.xls;*.csv;*.txt),*.xlsx;*.xls;*.csv;*.txt," & _
            "CFDI / DIAN e-invoices (*.xml;*.txt;*.zip),*.xml;*.txt;*.zip," & _
            "All files (*.*),*.*"
        PickFiles = Application.GetOpenFilename(FileFilter:=filters, FilterIndex:=index, _
            Title:=title, MultiSelect:=True)
    #End If
End Function

Private Sub DropImportSheet(wb As Workbook)
    Dim alerts As Boolean
    alerts = Application.DisplayAlerts
    On Error Resume Next
    Application.DisplayAlerts = False
    wb.Worksheets(IMPORT_SHEET).Visible = xlSheetVisible
    wb.Worksheets(IMPORT_SHEET).Delete
    Application.DisplayAlerts = alerts
End Sub

Private Sub ImportFiles(kind As String)
    Dim picked As Variant, wb As Workbook, sheet As Worksheet, i As Long, n As Long
    Dim path As String, screen As Boolean, before As Object
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the close workbook first (start from Cuadre Close.xlsx).", vbInformation, "Cuadre"
        Exit Sub
    End If
    Set wb = ActiveWorkbook
    Set before = ActiveSheet
    picked = PickFiles(kind)
    If Not IsArray(picked) Then Exit Sub ' cancelled
    DropImportSheet wb ' left over from a run that stopped half-way
    screen = Application.ScreenUpdating
    Application.ScreenUpdating = False
    On Error GoTo Refused
    Set sheet = wb.Worksheets.Add(After:=wb.Worksheets(wb.Worksheets.Count))
    sheet.Name = IMPORT_SHEET
    sheet.Visible = xlSheetVeryHidden
    sheet.Columns(1).NumberFormat = "@"
    On Error GoTo 0
    n = 0
    For i = LBound(picked) To UBound(picked)
        path = CStr(picked(i))
        #If Mac Then
            If Left$(path, 1) <> "/" Then path = ToPosixPath(path) ' HFS path (Excel 2011)
        #End If
        n = n + 1
        sheet.Cells(n, 1).Value = path
    Next i
    wb.Activate
    If Not before Is Nothing Then before.Activate
    Application.ScreenUpdating = screen
    RunCuadre "import", "kind='" & kind & "'"
    DropImportSheet wb ' Python deletes it; this is in case Python did not start
    Exit Sub
Refused:
    Application.ScreenUpdating = screen
    MsgBox "Cuadre cannot add its hidden import sheet to this workbook (" & Err.Description & _
        "). If the workbook structure is protected, unprotect it (Review > Protect Workbook) " & _
        "and import again.", vbExclamation, "Cuadre"
End Sub

Sub CuadreImportBank(control As IRibbonControl)
    ImportFiles "bank"
End Sub

Sub CuadreImportErp(control As IRibbonControl)
    ImportFiles "erp"
End Sub

Sub CuadreImportFiscal(control As IRibbonControl)
    ImportFiles "fiscal"
End Sub

' --------------------------------------------------------------------------- the close

Sub CuadreMatch(control As IRibbonControl)
    RunCuadre "match"
End Sub

Sub CuadrePost(control As IRibbonControl)
    RunCuadre "post"
End Sub

Sub CuadreAging(control As IRibbonControl)
    RunCuadre "aging"
End Sub

Sub CuadreClose(control As IRibbonControl)
    RunCuadre "close"
End Sub

Sub CuadreWorklist(control As IRibbonControl)
    RunCuadre "collections"
End Sub

Sub CuadreDunning(control As IRibbonControl)
    RunCuadre "collections"
End Sub

Sub CuadreStatements(control As IRibbonControl)
    RunCuadre "collections"
End Sub

Sub CuadreReconcileGL(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreReconcileBank(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreReconcileCustomer(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreReconcileTax(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreAccruals(control As IRibbonControl)
    RunCuadre "accruals"
End Sub

Sub CuadreEvidence(control As IRibbonControl)
    RunCuadre "evidence"
End Sub

Sub CuadreSettings(control As IRibbonControl)
    ' Python shows the Settings sheet (adds it from the template when missing) and checks it.
    RunCuadre "settings"
End Sub

' --------------------------------------------------------------------------- help

Sub CuadreHelp(control As IRibbonControl)
    ' The README sheet of the close workbook explains each sheet and the steps of the close.
    Dim sheet As Worksheet
    If Not ActiveWorkbook Is Nothing Then
        On Error Resume Next
        Set sheet = ActiveWorkbook.Worksheets("README")
        On Error GoTo 0
        If Not sheet Is Nothing Then
            sheet.Visible = xlSheetVisible
            sheet.Activate
            sheet.Range("A1").Select
            Exit Sub
        End If
    End If
    MsgBox "Cuadre closes accounts receivable: Import (or paste) the inputs (OpenItems, Bank, " & _
        "Customers, GL, FiscalDocs), set the close date on Settings, then Match payments and Aging." & _
        vbCrLf & vbCrLf & _
        "Functions: type =CUADRE_ in a cell to see them (CUADRE_AGING_BUCKET, CUADRE_NIT_DV...)." & vbCrLf & _
        "Start from the close workbook (cuadre template, or Cuadre Close.xlsx): its README sheet " & _
        "explains each sheet; the command line has 'cuadre --help'.", vbInformation, "Cuadre"
End Sub

Sub CuadreAbout(control As IRibbonControl)
    MsgBox "Cuadre add-in, built on xlwings " & XLWINGS_VERSION & "." & vbCrLf & _
        "Python settings: the cuadre.conf sheet of this add-in.", vbInformation, "Cuadre"
End Sub
